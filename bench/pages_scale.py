"""The list pages at 1,000,000 persons and 1,000,000 cases, on SQLite and (with DATABASE_URL) PostgreSQL.

The demo town, then persons added up to a million (encrypted and blind-indexed, as bench/registry.py adds
them) and its closed and rejected cases copied up to a million cases: the history of years (each copy a
case of its own, its code and token new, its grid, category and outcome those of the demo case it copies,
its times moved back 60 days to 10 years). Today's queues stay the demo's, as in a town that has handled
a million cases.
Then, logged in as each demo role, every place its menu reaches (the home page and the lists: 事件 and its
tabs, 人员, 走访…) is timed on the server, as bench/pages.py times them, beside `/healthz` in the same run.
Target: p95 under 300 ms per role.
"""

from __future__ import annotations

import random
import time

from bench.common import run_per_database, setup_django

CASES = 1_000_000
RUNS = 3
ROUND = 10_000_000  # codes of one round of copies: the source row's id plus the round times this


def fill_cases() -> None:
    """Copy the demo's cases until there are CASES, doubling each round (INSERT … SELECT on the database)."""
    from django.db import connection, transaction

    from wangge.cases.models import Case

    q = connection.ops.quote_name
    table = q(Case._meta.db_table)
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key and not f.generated]
    new_values = {  # a copy's own unique keys; the rest is its source's
        "code": "'B' || CAST(id + {offset} AS TEXT)",
        "token": "'T' || CAST(id + {offset} AS TEXT)",
        "client_id": "NULL",
        "hotline_number": "NULL",
    }
    # a copy is of the years before: its times moved back by 60 days to 10 years (the history of a town
    # with 270 cases a day), so that this month holds the demo's own cases, as it would
    days_back = "(60 + (id * 7 + {round} * 131) %% 3600)"  # %%: the statement takes a parameter
    for f in fields:
        if f.get_internal_type() == "DateTimeField":
            if connection.vendor == "postgresql":
                new_values[f.name] = f"{q(f.column)} - {days_back} * interval '1 day'"
            else:
                new_values[f.name] = f"datetime({q(f.column)}, '-' || {days_back} || ' days')"
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        have, n = Case.objects.count(), 1
        while have < CASES:
            closed = Case.objects.filter(status__in=["closed", "rejected"]).count()
            columns = ", ".join(q(f.column) for f in fields)
            values = ", ".join(
                new_values.get(f.name, q(f.column)).format(offset=n * ROUND, round=n) for f in fields
            )
            cur.execute(
                f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} "
                "WHERE status IN ('closed', 'rejected') ORDER BY id LIMIT %s",
                [min(closed, CASES - have)],
            )
            have, n = Case.objects.count(), n + 1
    with connection.cursor() as cur:  # as autovacuum leaves a table after a load: planned, visible
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"cases copied up to {Case.objects.count():,} in {time.perf_counter() - t0:.1f} s", flush=True)


def measure() -> dict[str, dict]:
    from bench.pages import places_of, time_roles

    return time_roles(places_of, runs=RUNS, name="list_pages")


def run_one(database_url: str | None) -> dict:
    setup_django("pages_scale", database_url=database_url)
    from django.db import connection

    from bench import registry

    registry.fill(random.Random(5))  # the demo town and persons up to 1,000,000
    fill_cases()
    figures = measure()
    return {f"{connection.vendor}_{k}": v for k, v in figures.items()}


def main() -> None:
    run_per_database("pages_scale", "bench.pages_scale", run_one, {"persons": 1_000_000, "cases": CASES})


if __name__ == "__main__":
    main()
