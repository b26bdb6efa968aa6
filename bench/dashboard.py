"""一屏管全城 at 1,000,000 cases and 1,000,000 persons, on SQLite and (with DATABASE_URL) PostgreSQL.

The demo town, persons added up to a million (bench/registry.py) and its closed cases copied back over
the years up to a million cases (bench/pages_scale.py); then the daily tallies rebuilt from the cases
(timed: `rebuild_case_tallies` after a bulk load), and the screen's data for the town's leader (every
figure of the page: the live counts, the month's rates and hot topics from the tallies, repeats, visits
due and done, disputes and reports, special groups, hazards) timed beside a bare COUNT(*) of the open
cases in the same run. Target: the whole screen's data under 300 ms, as a refresh reads it and with nothing
kept (the special groups' counts are kept between refreshes until a membership changes). The minute's
refresh of the tallies (today and yesterday recounted) is timed too.
"""

from __future__ import annotations

import random
import statistics
import time

from bench.common import figure, percentile, run_per_database, setup_django

RUNS = 9
TARGET_MS = 300.0


def timed(fn, runs: int = RUNS) -> list[float]:
    fn()  # warm: the first call of a process compiles its queries and fills the caches
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure() -> dict[str, dict]:
    from wangge.accounts.models import User
    from wangge.cases import tallies
    from wangge.cases.models import Case
    from wangge.command import screen
    from wangge.grids.jurisdiction import top_grids

    t0 = time.perf_counter()
    days, rows = tallies.rebuild()
    rebuild_s = time.perf_counter() - t0
    print(f"tallies rebuilt: {days} days, {rows:,} rows in {rebuild_s:.1f} s", flush=True)
    from django.core.cache import cache

    leader = User.objects.get(username="leader")
    town = top_grids(leader).first()
    shown = timed(lambda: screen.screen(leader, town))

    def cold():  # as after a membership changed: every count made again, the special groups' too
        cache.clear()
        screen.screen(leader, town)

    cold_ms = timed(cold)
    bare = timed(lambda: Case.objects.filter(still_open=True).count())
    refresh = timed(tallies.refresh, runs=3)
    data_ms, bare_ms = statistics.median(shown), statistics.median(bare)
    cases = Case.objects.count()
    return {
        "screen_data_ms": figure(
            data_ms, "ms", baseline=bare_ms, target=TARGET_MS, lower_is_better=True,
            note=f"the town leader's whole screen as each minute's refresh reads it, median of {RUNS} (p95 "
            f"{percentile(shown, 0.95):.0f} ms), over {cases:,} cases; "
            "baseline: a bare COUNT(*) of the open cases",
        ),
        "screen_data_cold_ms": figure(
            statistics.median(cold_ms), "ms", baseline=bare_ms, target=TARGET_MS, lower_is_better=True,
            note="the same with nothing kept: the special groups' counts made again (they are kept for the "
            "minute's refreshes until a membership changes or 5 minutes pass)",
        ),
        "tallies_refresh_ms": figure(
            statistics.median(refresh), "ms", baseline=bare_ms, target=None, lower_is_better=True,
            note="the minute's refresh: today and yesterday recounted from the cases",
        ),
        "tallies_rebuild_s": figure(
            rebuild_s, "s", baseline=None, target=None, lower_is_better=True,
            note=f"every day recounted: {days:,} days, {rows:,} rows",
        ),
    }  # fmt: skip


def run_one(database_url: str | None) -> dict:
    setup_django("dashboard", database_url=database_url)
    from django.db import connection

    from bench import registry
    from bench.pages_scale import fill_cases

    registry.fill(random.Random(5))  # the demo town and persons up to 1,000,000
    fill_cases()
    figures = measure()
    return {f"{connection.vendor}_{k}": v for k, v in figures.items()}


def main() -> None:
    run_per_database("dashboard", "bench.dashboard", run_one, {"persons": 1_000_000, "cases": 1_000_000})


if __name__ == "__main__":
    main()
