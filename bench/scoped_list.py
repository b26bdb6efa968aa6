"""Scoped lists at 1,000,000 grid-bound rows over the demo town, on SQLite and (with DATABASE_URL) PostgreSQL.

A scoped, paginated list for one unit grid and a scoped count for one second-level grid, through
the one scoping helper (accounts.jurisdiction.visible), each beside the same query written without
jurisdiction (the grid ids given directly: what an unscoped app would run for the same rows).
Target: the scoped list within 2x of the unscoped one.
"""

from __future__ import annotations

import random
import time
from datetime import date

from bench.common import figure, median_time, run_per_database, setup_django

ROWS = 1_000_000
PAGE = 50


def fill(rng: random.Random) -> None:
    from django.db import connection, transaction

    from wangge.core import demo
    from wangge.grids.models import Grid, GridRole, RoleAssignment

    demo.load()
    grid_ids = list(Grid.objects.values_list("id", flat=True))
    role_id = GridRole.objects.get(key="micro_grid_leader").pk
    table = RoleAssignment._meta.db_table
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    start = date(2024, 1, 1).isoformat()
    sql = (
        f"INSERT INTO {table} (grid_id, role_id, person_name, duty_phone, valid_from, created, last_updated) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    batch = 20_000
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, ROWS, batch):
            cur.executemany(
                sql,
                [
                    (rng.choice(grid_ids), role_id, f"志愿者{i + j}", "", start, now, now)
                    for j in range(min(batch, ROWS - i))
                ],
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"inserted {ROWS:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)


def measure(vendor: str) -> dict[str, dict]:
    from wangge.accounts.models import User
    from wangge.grids import services as grids
    from wangge.grids.jurisdiction import visible
    from wangge.grids.models import Grid, RoleAssignment

    unit = Grid.objects.filter(depth=4).order_by("code").first()
    second = Grid.objects.filter(depth=2).order_by("code").first()
    worker = User.objects.get(username="worker")  # full-time worker of that unit grid
    community = User.objects.get(username="community")  # scope: that second-level grid
    assert unit is not None and second is not None
    subtree_ids = list(grids.subtree(second).values_list("id", flat=True))
    all_rows = RoleAssignment.objects.all()

    def scoped_list():
        qs = visible(all_rows, worker).order_by("-pk")
        return qs.count(), list(qs.values_list("pk", "person_name")[:PAGE])

    def plain_list():
        qs = all_rows.filter(grid_id=unit.pk).order_by("-pk")
        return qs.count(), list(qs.values_list("pk", "person_name")[:PAGE])

    def scoped_count():
        return visible(all_rows, community).count()

    def plain_count():
        return all_rows.filter(grid_id__in=subtree_ids).count()

    def resolve():
        from wangge.grids.jurisdiction import forget, jurisdiction

        forget(worker)
        return jurisdiction(worker)

    assert scoped_list() == plain_list(), "scoped and plain lists differ"
    assert scoped_count() == plain_count(), "scoped and plain counts differ"
    n_unit, _ = plain_list()
    n_second = plain_count()
    # Jurisdiction is resolved once per request (two small queries) and then reused by every
    # query of that request: timed on its own, and the lists are timed with it resolved.
    rj = median_time(resolve)
    sl, pl = median_time(scoped_list), median_time(plain_list)
    sc, pc = median_time(scoped_count), median_time(plain_count)
    print(f"{vendor}: unit grid rows {n_unit:,}, second-level rows {n_second:,}", flush=True)
    return {
        f"{vendor}_unit_list_ms": figure(
            sl,
            "ms",
            baseline=pl,
            target=2.0,
            lower_is_better=True,
            note=f"page of {PAGE} + count over {n_unit:,} rows; target is the ratio",
        ),
        f"{vendor}_resolve_jurisdiction_ms": figure(
            rj,
            "ms",
            baseline=pl,
            target=None,
            lower_is_better=True,
            note="once per request; baseline: the plain list",
        ),
        f"{vendor}_second_count_ms": figure(
            sc,
            "ms",
            baseline=pc,
            target=2.0,
            lower_is_better=True,
            note=f"count of {n_second:,} rows; target is the ratio",
        ),
    }


def run_one(database_url: str | None) -> dict:
    setup_django("scoped_list", database_url=database_url)
    from django.db import connection

    fill(random.Random(11))
    figures = measure(connection.vendor)
    # The target is on the ratio: mark met from it.
    for f in figures.values():
        if f["target"] is not None:
            f["met"] = f["ratio"] is not None and f["ratio"] <= f["target"]
    return figures


def main() -> None:
    run_per_database("scoped_list", "bench.scoped_list", run_one, {"rows": ROWS})


if __name__ == "__main__":
    main()
