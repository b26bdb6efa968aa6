"""Demo field work: every household's duties under the scene's rules, a past of visits (most in time,
some late, some still owed) so that rounds and coverage have something to show, and a running campaign."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.demo import register_step
from wangge.fieldwork import due as household_due
from wangge.fieldwork import patrols, services
from wangge.fieldwork.models import Duty, Fulfilment, Mode, Visit
from wangge.grids import services as grids
from wangge.grids.models import Grid
from wangge.registry import services as registry

VISITED_SHARE = 0.8  # of duties that fell due, the share visited
LATE_SHARE = 0.15  # of those visited, the share visited after their day
RECORDED_DAYS = 90  # visits of the last weeks are written out as records


def load(rng: random.Random) -> None:
    today = timezone.localdate()
    services.sync(on=today)
    start = today - timedelta(days=400)
    worker_of = {}
    for u in User.objects.filter(role="grid_worker"):
        for path in grids.paths_held_by(u):
            worker_of[path] = u
    admin = User.objects.filter(username="admin").first()
    grid_worker = {}
    for g in Grid.objects.all().only("pk", "path"):
        owner = next((u for p, u in worker_of.items() if g.path.startswith(p)), admin)
        grid_worker[g.pk] = owner
    duties = list(Duty.objects.select_related("rule", "household"))
    visits, fulfil = [], []
    recent = today - timedelta(days=RECORDED_DAYS)
    n = 0
    for d in duties:
        # walk the duty's history from its start: each period visited (or not), on time or late; the
        # visits of the last weeks are written out, older ones only leave their last day
        d.since = start
        due = start + timedelta(days=d.rule.first_within_days)
        last = None
        while due <= today and d.rule.unit != "day":
            if rng.random() > VISITED_SHARE and due >= today - timedelta(days=60):
                break  # still owed
            late = rng.random() < LATE_SHARE
            shift = rng.randint(1, 20) if late else -rng.randint(0, 10)
            day = min(due + timedelta(days=shift), today)
            if day >= recent and grid_worker.get(d.household.grid_id) is not None:
                n += 1
                at = timezone.make_aware(datetime.combine(day, time(9 + n % 9, (n * 7) % 60)))
                at = min(at, timezone.now() - timedelta(minutes=1 + n % 50))  # today's: before now, not later
                v = Visit(client_id=f"demo-{n}", household_id=d.household_id, grid_id=d.household.grid_id,
                          worker=grid_worker[d.household.grid_id], mode=Mode.IN_PERSON, visited_at=at,
                          answers={item: "ok" for item in d.rule.checklist})  # fmt: skip
                visits.append(v)
                fulfil.append((v, d, due, day))
            last = day
            due = services.next_due(d.rule, d.since, day)
        if d.rule.unit == "day" and rng.random() < 0.7:
            last = today - timedelta(days=1)
            due = today
        d.last_done, d.due_on = last, due
    Visit.objects.bulk_create(visits, batch_size=2000)
    Fulfilment.objects.bulk_create(
        [
            Fulfilment(
                rule_id=d.rule_id,
                household_id=d.household_id,
                grid_id=v.grid_id,
                visit=v,
                due_on=due,
                done_on=day,
            )
            for v, d, due, day in fulfil
        ],  # fmt: skip
        batch_size=2000,
    )
    # rewritten rather than updated in place: one insert beats 23,000 single-row updates
    Duty.objects.all().delete()
    for d in duties:
        d.pk = None
    Duty.objects.bulk_create(duties, batch_size=2000)
    household_due.rebuild()
    town = Grid.objects.get(depth=1)
    leader = User.objects.filter(username="centre").first()
    if leader is not None:
        services.create_campaign(
            name="周一夜访：独居老人冬季安全", grid=town, start=today - timedelta(days=today.weekday()),
            end=today + timedelta(days=13), groups=["elderly_alone", "empty_nest"],
            checklist=["取暖用电安全", "燃气热水器通风"], by=leader,
        )  # fmt: skip


PATROL_FINDINGS = [
    ("环境卫生", "楼道杂物", "3 栋楼道堆放纸箱和旧家具", "on_spot", "", ""),
    ("物业服务", "保洁是否到位", "垃圾桶周边脏乱，清运不及时", "case", "garbage_dumping", "property_company"),
    ("公共设施", "路灯照明", "小区北门两盏路灯不亮", "case", "street_lamp", ""),
    ("环境卫生", "占道与乱搭乱建", "一楼住户院内私搭铁皮棚", "escalated", "", ""),
    ("公共设施", "消防设施", "5 栋消防栓箱门损坏", "recorded", "", ""),
]
SERVICES = [
    ("低保特困申请", "proxy"),
    ("残疾证办理", "help"),
    ("养老保险资格认证", "at_home"),
    ("高龄补贴申领", "at_home"),
]


def patrols_and_services(rng: random.Random) -> None:
    centre = User.objects.get(username="centre")
    today = timezone.localdate()
    roles = ["居民小组长", "微网格长", "物业公司", "业主代表"]
    for n, community in enumerate(Grid.objects.filter(depth=2).order_by("path")[:4]):
        p = patrols.plan(
            grid=community,
            planned_on=today.replace(day=1) + timedelta(days=n),
            by=centre,
            members=[{"name": f"{r}{n + 1}", "role": r} for r in roles],
        )
        for k, (area, item, text, handling, category, dept) in enumerate(PATROL_FINDINGS[: 3 + n % 3]):
            patrols.record(
                p,
                by=centre,
                area=area,
                item=item,
                description=text,
                handling=handling,
                category=category,
                department=dept,
                client_id=f"demo-patrol-{n}-{k}",
            )
    worker = User.objects.get(username="worker")
    people = list(registry.in_register(registry.persons_for(worker)).order_by("pk")[:12])
    for k, person in enumerate(people):
        kind, mode = SERVICES[k % len(SERVICES)]
        r = services.start_service(person_id=person.pk, kind=kind, mode=mode, note="居民来电求助", by=worker)
        if k % 3:
            services.add_service_step(r, note="材料已送交有关部门", by=worker)
        if k % 3 == 2:
            services.finish_service(r, state="done", result="已办结，结果已告知本人", by=worker)


def register() -> None:
    register_step("走访（应访与走访记录）", load, order=40)
    register_step("联动巡查与帮办代办", patrols_and_services, order=41)
