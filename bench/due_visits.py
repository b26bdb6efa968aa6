"""What is due, at 1,000,000 persons (about 370,000 households) over the demo town's grids with 3 visit
rules (every household yearly, two special groups quarterly and monthly):

- a worker's due list for one unit grid (the round's "this week" tab, through the service and the scoping
  helper), beside reading that grid's persons alone (target: within 3x);
- computing every household's duties from scratch (the full sync after a bulk import), beside reading the
  ids of the households the rules select;
- recomputing every due day after a rule's period changed, beside one bare UPDATE of the same rows.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from bench.common import figure, median_time, run_per_database, setup_django
from bench.import_persons import EMPTY_TEXT, PERSON_COLUMNS

PERSONS = 1_000_000
PER_HOUSEHOLD = 2.7
GROUP_SHARE = 0.05  # of persons, in each of the two groups


def fill(rng: random.Random) -> None:
    """The demo town's grids and users, then houses, households and persons raw, and the 3 rules."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.core import demo
    from wangge.core.bulk import insert_rows, reserve_ids
    from wangge.fieldwork.models import VisitRule
    from wangge.grids.models import Grid
    from wangge.registry.models import GroupMembership, House, Household, Person, SpecialGroup

    demo._STEPS[:] = [s for s in demo._STEPS if s[0] == 0]  # grids and logins only: people written below
    demo.load()
    units = list(Grid.objects.filter(depth=4).values_list("pk", flat=True))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = connection.ops.adapt_datefield_value(date(2024, 1, 1))
    n_households = int(PERSONS / PER_HOUSEHOLD)
    t0 = time.perf_counter()
    with transaction.atomic():
        house_ids = reserve_ids(House, n_households)
        household_ids = reserve_ids(Household, n_households)
        grid_of = [units[i % len(units)] for i in range(n_households)]
        insert_rows(
            House,
            ("id", "grid_id", "building_id", "address", "room", "use", "created", "last_updated"),
            [(h, grid_of[i], None, f"幸福路{i // 40}号", f"{i % 40 + 101}", "own", now, now)
             for i, h in enumerate(house_ids)],
        )  # fmt: skip
        insert_rows(
            Household,
            ("id", "grid_id", "house_id", "number", "residence", "head_id", "phone", "phone_index", "active",
             "created", "last_updated"),
            [(h, grid_of[i], house_ids[i], f"H{i:08d}", "registered", None, "", "", True, now, now)
             for i, h in enumerate(household_ids)],
        )  # fmt: skip
        person_ids = reserve_ids(Person, PERSONS)
        rows = []
        for i, pid in enumerate(person_ids):
            k = i % n_households
            rows.append((pid, grid_of[k], household_ids[k], f"居民{i}", "citizen_id", "", None, None, "", "",
                         "", "", "other", "汉族", *EMPTY_TEXT, "active", None, now, now, day))  # fmt: skip
            if len(rows) == 50_000:
                insert_rows(Person, PERSON_ROW, rows)
                rows = []
        insert_rows(Person, PERSON_ROW, rows)
        alone, difficult = (
            SpecialGroup.objects.get(key="elderly_alone"),
            SpecialGroup.objects.get(key="low_income"),
        )
        members = rng.sample(person_ids, int(PERSONS * GROUP_SHARE * 2))
        half = len(members) // 2
        insert_rows(
            GroupMembership,
            ("person_id", "group_id", "start", "end", "source", "note", "created", "last_updated"),
            [(p, (alone if j < half else difficult).pk, day, None, "import", "", now, now)
             for j, p in enumerate(members)],
        )  # fmt: skip
        VisitRule.objects.all().delete()
        for order, (key, unit, groups) in enumerate(
            [
                ("yearly", "year", []),
                ("quarterly", "quarter", ["low_income"]),
                ("monthly", "month", ["elderly_alone"]),
            ]
        ):
            VisitRule.objects.create(key=key, name=key, unit=unit, groups=groups, order=order)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"{connection.vendor}: {PERSONS:,} persons in {n_households:,} households written in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip


PERSON_ROW = ("id", *PERSON_COLUMNS)


def run_one(database_url: str | None) -> dict:
    setup_django("due_visits", database_url=database_url)
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from wangge.accounts.models import User
    from wangge.fieldwork import services
    from wangge.fieldwork.models import Duty, VisitRule
    from wangge.registry import services as registry
    from wangge.registry.models import Person

    fill(random.Random(11))
    vendor = connection.vendor
    rules = list(VisitRule.objects.all())

    # every household's duties from scratch, beside reading the ids the rules select
    t0 = time.perf_counter()
    for r in rules:
        set(services._selected(r).values_list("pk", flat=True))
    select_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    made = services.sync()
    sync_s = time.perf_counter() - t0
    duties = Duty.objects.count()
    print(
        f"{vendor}: {made['created']:,} duties made in {sync_s:.1f} s (selecting: {select_s:.1f} s)",
        flush=True,
    )

    # a past: most duties visited on one of 60 recent days, so the due days spread over the coming weeks
    today = timezone.localdate()
    for k in range(60):
        Duty.objects.annotate(m=F("id") % 60).filter(m=k).update(last_done=today - timedelta(days=k * 6))
    for r in rules:
        services.recompute(r)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    # a worker's due list for one grid, beside that grid's persons
    worker = User.objects.get(username="worker")
    unit = registry.households_for(worker).values_list("grid_id", flat=True).first()
    stops = services.round_for(worker, "week")
    persons = Person.objects.filter(grid_id=unit, status="active").count()

    def due_list():
        services.round_for(worker, "week")

    def grid_persons():
        list(registry.persons_for(worker).filter(status="active"))

    due_ms = median_time(due_list)
    read_ms = median_time(grid_persons)
    print(
        f"{vendor}: due list {due_ms:.1f} ms ({len(stops)} stops) beside {persons:,} persons {read_ms:.1f} ms"
    )

    # a rule's period changes: every due day again, beside one bare UPDATE of the same rows
    yearly = next(r for r in rules if r.key == "yearly")
    yearly.unit = "quarter"
    yearly.save()
    n_rule = Duty.objects.filter(rule=yearly).count()
    t0 = time.perf_counter()
    changed = services.recompute(yearly)
    recompute_s = time.perf_counter() - t0
    assert changed == n_rule, (changed, n_rule)
    t0 = time.perf_counter()
    Duty.objects.filter(rule=yearly).update(due_on=F("since"))
    bare_s = time.perf_counter() - t0
    print(
        f"{vendor}: recompute {recompute_s:.1f} s for {n_rule:,} duties; bare update {bare_s:.1f} s",
        flush=True,
    )
    return {
        f"{vendor}_due_list_ms": figure(
            due_ms, "ms", baseline=read_ms, target=round(3.0 * read_ms, 1), lower_is_better=True,
            note=f"one worker's 'this week' round ({len(stops)} households due) over {PERSONS:,} persons and "
            f"{duties:,} duties; baseline: reading the same grid's {persons:,} persons; target: within 3x",
        ),
        f"{vendor}_sync_all_s": figure(
            sync_s, "s", baseline=select_s, target=None, lower_is_better=True,
            note=f"every household's duties under 3 rules from scratch ({made['created']:,} made); baseline: "
            "reading the ids of the households the rules select",
        ),
        f"{vendor}_recompute_rule_s": figure(
            recompute_s, "s", baseline=bare_s, target=None, lower_is_better=True,
            note=f"every due day of a rule whose period changed ({n_rule:,} duties, one UPDATE per distinct "
            "last-visit day); baseline: one bare UPDATE of the same rows",
        ),
    }  # fmt: skip


def main() -> None:
    run_per_database("due_visits", "bench.due_visits", run_one, {"persons": PERSONS, "rules": 3})


if __name__ == "__main__":
    main()
