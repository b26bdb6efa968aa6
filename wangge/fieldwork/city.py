"""The generated city's field work (`wangge demo city`): every household's duties under the scene's rules
(`services.sync`, its bulk path, as from the first day), and the grid workers' visits over the days since:
each worker walks VISITS_A_DAY households of their grid on a working day, those whose duty falls due
first, each visit written with its fulfilments and the duties it met moved on to their next day, as
`services.record_visit` would have left them. Written in bulk, as an import of an old system's visit
records would be."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.demo import CitySize, register_city_step
from wangge.fieldwork import due as household_due
from wangge.fieldwork import services
from wangge.fieldwork.models import Duty, Fulfilment, Mode, Visit
from wangge.grids import services as grids

VISITS_A_DAY = 8


def load(size: CitySize, rng: random.Random) -> str:
    today = timezone.localdate()
    first = today - timedelta(days=size.days)
    services.sync(on=first)
    visits = 0
    for worker in User.objects.filter(role="grid_worker").order_by("pk"):
        paths = grids.paths_held_by(worker)
        if paths:
            with transaction.atomic():
                visits += _walk(worker, paths, first, today)
    household_due.rebuild()
    return f"{Duty.objects.count():,} 项走访任务，{visits:,} 次入户走访"


def _walk(worker, paths: list[str], first, today) -> int:
    """A worker's rounds from `first` to yesterday: their duties walked day by day, then written."""
    within = Q(pk__in=[])
    for path in paths:
        within |= grids.subtree_q(path, prefix="household__grid__")
    duties = list(Duty.objects.filter(within, rule__active=True).select_related("rule", "household"))
    by_household: dict[int, list[Duty]] = defaultdict(list)
    for d in duties:
        by_household[d.household_id].append(d)
    made: list[tuple[Visit, list[tuple[Duty, object]]]] = []
    day = first
    while day < today:
        if day.weekday() < 5:  # a working day's round: the households due first
            owed = sorted(by_household, key=lambda h: min(d.due_on for d in by_household[h]))
            for n, household_id in enumerate(owed[:VISITS_A_DAY]):
                at = timezone.make_aware(datetime.combine(day, time(9 + n, 10 * (n % 6))))
                group = by_household[household_id]
                visit = Visit(
                    client_id=f"city-{worker.pk}-{day:%Y%m%d}-{n}",
                    household_id=household_id,
                    grid_id=group[0].household.grid_id,
                    worker=worker,
                    mode=Mode.IN_PERSON,
                    visited_at=at,
                    answers={item: "ok" for d in group for item in d.rule.checklist},
                )
                met = []
                for d in group:
                    if services.satisfies(d.rule.kind, Mode.IN_PERSON) and day >= d.since:
                        met.append((d, d.due_on))
                        d.last_done, d.due_on = day, services.next_due(d.rule, d.since, day)
                made.append((visit, met))
        day += timedelta(days=1)
    Visit.objects.bulk_create([v for v, _met in made], batch_size=5000)
    Fulfilment.objects.bulk_create(
        [
            Fulfilment(
                rule_id=d.rule_id,
                household_id=d.household_id,
                grid_id=v.grid_id,
                visit=v,
                due_on=due,
                done_on=timezone.localtime(v.visited_at).date(),
            )
            for v, met in made
            for d, due in met
        ],
        batch_size=5000,
    )
    Duty.objects.bulk_update(duties, ["last_done", "due_on"], batch_size=5000)
    return len(made)


def register() -> None:
    register_city_step("走访（入户走访记录）", load, order=50)
