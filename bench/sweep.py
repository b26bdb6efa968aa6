"""The deadline sweep at 1,000,000 open cases, 1 % of them overdue: its time beside reading those same 1 %
by primary key (the ratio), and a sweep with nothing due — what every minute costs when no deadline has
passed — beside reading one row. Showing the sweep reads the cases whose time has come, not the open ones.
"""

from __future__ import annotations

import time
from datetime import timedelta

from bench.common import figure, run_per_database, setup_django

OPEN_CASES = 1_000_000
DUE_SHARE = 0.01


def run_one(database_url: str | None) -> dict:
    setup_django("sweep", database_url=database_url)
    from django.db import connection
    from django.utils import timezone

    from testkit import build_town
    from testkit.cases import write_open_cases
    from wangge.cases import services as cases
    from wangge.cases.models import Case

    town = build_town()
    now = timezone.now()
    t0 = time.perf_counter()
    due_ids = write_open_cases(town, OPEN_CASES, due_every=int(1 / DUE_SHARE))
    load = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE cases_case")
    print(
        f"{connection.vendor}: {OPEN_CASES:,} open cases written in {load:.0f} s, {len(due_ids):,} due",
        flush=True,
    )

    # nothing due yet: what the sweep costs each minute, beside reading one case by its key
    early = now - timedelta(hours=1)
    t0 = time.perf_counter()
    for _ in range(20):
        assert cases.sweep(early) == {"warned": 0, "escalated": 0}
    empty_ms = (time.perf_counter() - t0) / 20 * 1000
    t0 = time.perf_counter()
    for pk in due_ids[:20]:
        Case.objects.filter(pk=pk).first()
    one_ms = (time.perf_counter() - t0) / 20 * 1000

    # the baseline: read the due 1 % by primary key, in the sweep's batch size
    t0 = time.perf_counter()
    for i in range(0, len(due_ids), 1000):
        list(
            Case.objects.filter(pk__in=due_ids[i : i + 1000]).select_related(
                "category", "grid", "handler_grid"
            )
        )
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = cases.sweep(now)
    sweep_s = time.perf_counter() - t0
    assert counts["escalated"] == len(due_ids), counts
    vendor = connection.vendor
    print(
        f"{vendor}: sweep {sweep_s:.1f} s for {counts['escalated']:,} escalations; read {read_s:.2f} s",
        flush=True,
    )
    return {
        f"{vendor}_sweep_due_s": figure(
            sweep_s,
            "s",
            baseline=read_s,
            target=None,
            lower_is_better=True,
            note=f"{len(due_ids):,} of {OPEN_CASES:,} open cases overdue: escalated (lock, update, event, "
            "notification each); baseline: reading the same cases by primary key",
        ),
        f"{vendor}_sweep_idle_ms": figure(
            empty_ms,
            "ms",
            baseline=one_ms,
            target=None,
            lower_is_better=True,
            note=f"a sweep with nothing due over {OPEN_CASES:,} open cases; baseline: one case by its key",
        ),
    }


def main() -> None:
    run_per_database("sweep", "bench.sweep", run_one, {"open_cases": OPEN_CASES, "due_share": DUE_SHARE})


if __name__ == "__main__":
    main()
