"""A grid tree before its boundaries: the national administrative tree to the street level (34 provinces,
466 cities, 2,851 counties, 41,352 streets: 44,703 grids) imported from an Excel grid list without
boundaries, on SQLite and (with DATABASE_URL) PostgreSQL.

The figure is the whole import as a user runs it (read the workbook, check every row, write the tree in
one transaction); beside it, in the same run, a bare bulk insert of the same grids (paths worked out in
advance, no checks). Before this, the only way in was one POST /api/grids at a time: 60–72 ms each,
45 minutes for the tree. Target: under a minute.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import figure, run_per_database, setup_django

SIZES = (34, 466, 2851, 41352)  # provinces, cities, counties, streets
TARGET_S = 60.0


def tree_rows() -> list[list]:
    """名称, 编码, 上级编码 for the whole tree, parents first, spread as evenly as the counts allow."""
    rows: list[list] = []
    provinces = [f"{11 + p:02d}" for p in range(SIZES[0])]
    rows += [[f"省{p}", p, ""] for p in provinces]
    cities = [f"{provinces[c % SIZES[0]]}{c // SIZES[0] + 1:02d}" for c in range(SIZES[1])]
    rows += [[f"市{c}", c, c[:2]] for c in cities]
    counties = [f"{cities[k % SIZES[1]]}{k // SIZES[1] + 1:02d}" for k in range(SIZES[2])]
    rows += [[f"县{k}", k, k[:4]] for k in counties]
    streets = [f"{counties[s % SIZES[2]]}{s // SIZES[2] + 1:03d}" for s in range(SIZES[3])]
    rows += [[f"街道{s}", s, s[:6]] for s in streets]
    return rows


def run_one(database_url: str | None) -> dict:
    setup_django("tree_import", database_url=database_url)
    from django.db import connection, transaction

    from wangge.core.excel import write_workbook
    from wangge.core.scenes import apply_scene
    from wangge.grids import importing
    from wangge.grids.models import Grid, GridLevel

    apply_scene(str(Path(__file__).parent / "scenes" / "national-tree.yaml"))
    vendor = connection.vendor
    rows = tree_rows()
    assert len(rows) == sum(SIZES) == 44703
    content = write_workbook(["名称", "编码", "上级编码"], rows)

    # baseline: the same grids by a bare bulk insert (paths in advance, no checks)
    levels = {lv.depth: lv for lv in GridLevel.objects.all()}
    step = {2: 1, 4: 2, 6: 3, 9: 4}
    counters: dict[str, int] = {}
    grids = []
    path_of: dict[str, str] = {}
    for name, code, parent in rows:
        n = counters[parent] = counters.get(parent, 0) + 1
        path = path_of.get(parent, "") + importing._step(n)
        path_of[code] = path
        grids.append(Grid(path=path, depth=step[len(code)], numchild=0, name=name, code=code,
                          level=levels[step[len(code)]], valid_from="2026-01-01"))  # fmt: skip
    with transaction.atomic():  # rolled back: the import below starts from the same empty tree
        t0 = time.perf_counter()
        Grid.objects.bulk_create(grids, batch_size=2000)
        bare = time.perf_counter() - t0
        transaction.set_rollback(True)
    assert not Grid.objects.exists()

    t0 = time.perf_counter()
    report = importing.import_rows(importing.rows_from_xlsx(content), dry_run=False)
    took = time.perf_counter() - t0
    assert report.committed and not report.problems, report.problems[:5]
    assert Grid.objects.count() == 44703 and Grid.find_problems() == ([], [], [], [], [])
    print(f"{vendor}: import {took:.1f} s, bare bulk insert {bare:.1f} s")
    return {
        f"tree_import_{vendor}": figure(
            took,
            "s",
            baseline=bare,
            target=TARGET_S,
            lower_is_better=True,
            note="44,703 grids from Excel without boundaries, checked and written; "
            "baseline: a bare bulk insert of the same rows",
        ),  # fmt: skip
    }


def main() -> None:
    run_per_database("tree_import", "bench.tree_import", run_one, {"grids": sum(SIZES)})


if __name__ == "__main__":
    main()
