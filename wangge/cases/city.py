"""The generated city's cases (`wangge demo city`, PostgreSQL): a year (or `days`) at `cases_per_day`.

`seed_cases` are taken in and handled through the services, as the city's residents, hotline and
departments would (reported, accepted, dispatched, handled, verified and closed, a few refused, a few
still open), over the last day. The history before is their closed and refused cases copied day by day,
each copy with its events, its times moved back by its day, and put in another micro-grid (its point that
grid's centre): INSERT … SELECT on the database, the bulk path a migration from an old system takes.
The daily tallies are rebuilt at the end."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases import services as cases
from wangge.cases import tallies
from wangge.cases.demo import demo_clock
from wangge.cases.models import Case, CaseEvent, Category
from wangge.core.demo import CitySize, register_city_step
from wangge.grids.models import Grid

STRIDE = 1_000_000  # a copy's id: its source's plus STRIDE times its copy number (seed ids stay below)
DESCRIPTIONS = {
    "exposed_garbage": "小区门口垃圾堆积未清运",
    "illegal_parking": "消防通道被车辆堵塞",
    "street_lamp": "路灯不亮已经三天",
    "manhole_cover": "人行道井盖松动",
    "noise": "夜间施工噪声扰民",
    "street_vending": "路口占道经营",
    "flyposting": "楼道小广告",
    "litter_bin": "垃圾箱破损",
    "material_piles": "楼下乱堆建筑材料",
    "public_toilet": "公厕无人保洁",
}


def load(size: CitySize, rng: random.Random) -> str:
    if connection.vendor != "postgresql":
        raise RuntimeError("a city's cases are generated on PostgreSQL")
    started = time.perf_counter()
    seeded = _seed(size, rng)
    took = time.perf_counter() - started
    copied = _history(size)
    rebuilt = tallies.rebuild()
    return (
        f"{seeded:,} 件经服务上报办理（{took:.0f} 秒），历史复制至 {Case.objects.count():,} 件、"
        f"{CaseEvent.objects.count():,} 条流转记录（{copied} 轮），日汇总 {rebuilt[0]:,} 天 {rebuilt[1]:,} 行"
    )


def _seed(size: CitySize, rng: random.Random) -> int:
    now = timezone.now()
    leaves = list(Grid.objects.filter(depth=6).values_list("pk", "center_lon", "center_lat"))
    categories = {c.key for c in Category.objects.filter(key__in=DESCRIPTIONS)}
    keys = sorted(categories)
    centre = User.objects.get(username="city-centre")
    officers = {u.department_id: u for u in User.objects.filter(role="department_staff")}
    for n in range(size.seed_cases):
        start = now - timedelta(hours=rng.uniform(1, 24))
        _pk, lon, lat = rng.choice(leaves)
        key = rng.choice(keys)
        data = cases.ReportIn(
            category=key,
            description=DESCRIPTIONS[key],
            lon=lon,
            lat=lat,
            channel="resident",
            client_id=f"city-{n}",
        )
        with transaction.atomic(), demo_clock(start):
            case = cases.report(data)
        fate, t = rng.random(), start
        steps = ["accept"] if fate > 0.05 else []
        steps += (
            ["reject"] if 0.05 < fate < 0.09 else (["dispatch", "handle", "verify"] if fate > 0.09 else [])
        )
        for step in steps[: 4 if fate > 0.2 else 2]:
            t += timedelta(minutes=rng.expovariate(1 / 40))
            if t >= now:
                break
            handler = officers.get(case.handler_department_id) or centre
            with transaction.atomic(), demo_clock(t):
                if step == "accept":
                    cases.accept(case, by=centre)
                elif step == "reject":
                    cases.reject(case, by=centre, reason="not_ours", comment="属于物业管理范围")
                elif step == "dispatch":
                    cases.dispatch(case, by=centre)
                elif step == "handle":
                    if case.category.visit_required:
                        cases.site_visit(case, by=handler, comment="已到现场")
                    cases.handle(case, by=handler, comment="已处理完毕")
                elif step == "verify":
                    cases.verify(case, by=centre, passed=True, comment="核查通过")
    return size.seed_cases


def _history(size: CitySize) -> int:
    """Copy the seed's closed and refused cases, with their events, back over the days before."""
    q = connection.ops.quote_name
    table, events = q(Case._meta.db_table), q(CaseEvent._meta.db_table)
    done = list(Case.objects.filter(status__in=["closed", "rejected"]).values_list("pk", flat=True))
    if not done or max(done) >= STRIDE:
        return 0
    per_day = -(-size.cases_per_day // len(done))  # copies of the finished seed a day: at least the rate
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key and not f.generated]
    moved = {
        "code": "'C' || CAST(c.id + {offset} AS TEXT)",
        "token": "'T' || CAST(c.id + {offset} AS TEXT)",
        "client_id": "NULL",
        "hotline_number": "NULL",
        "duplicate_of_id": "NULL",
        "repeat_of_id": "NULL",
        "grid_id": "g.id",
        "lon": "g.lon",
        "lat": "g.lat",
        "handler_grid_id": "CASE WHEN c.handler_grid_id = c.grid_id THEN g.id ELSE c.handler_grid_id END",
    }
    for f in fields:
        if f.get_internal_type() == "DateTimeField":
            moved[f.column] = f"c.{q(f.column)} - {{days}} * interval '1 day'"
    columns = ", ".join(["id", *(q(f.column) for f in fields)])  # the copy's id: its events follow it
    values = ", ".join(["c.id + {offset}", *(moved.get(f.column, f"c.{q(f.column)}") for f in fields)])
    event_fields = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]
    event_columns = ", ".join(q(f.column) for f in event_fields)
    event_values = ", ".join(
        {
            "case_id": "e.case_id + {offset}",
            "at": "e.at - {days} * interval '1 day'",
            "to_grid_id": "NULL",
        }.get(f.column, f"e.{q(f.column)}")
        for f in event_fields
    )
    rounds, have = 0, Case.objects.count()
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE city_leaf (n bigint PRIMARY KEY, id bigint, lon float, lat float)"
        )
        cur.execute(
            "INSERT INTO city_leaf SELECT row_number() OVER (ORDER BY id) - 1, id, center_lon, center_lat "
            f"FROM {q(Grid._meta.db_table)} WHERE depth = 6"
        )
        cur.execute("SELECT COUNT(*) FROM city_leaf")
        (leaves,) = cur.fetchone()
        for day in range(1, size.days):
            if have >= size.cases:
                break
            with transaction.atomic():
                for k in range(per_day):
                    copy = (day - 1) * per_day + k + 1
                    offset, spread = copy * STRIDE, copy * 7919
                    cur.execute(
                        f"INSERT INTO {table} ({columns}) SELECT {values.format(offset=offset, days=day)} "
                        f"FROM {table} c JOIN city_leaf g ON g.n = (c.id * 104729 + {spread}) %% {leaves} "
                        f"WHERE c.id = ANY(%s)",
                        [done],
                    )
                    cur.execute(
                        f"INSERT INTO {events} ({event_columns}) SELECT "
                        f"{event_values.format(offset=offset, days=day)} FROM {events} e "
                        "WHERE e.case_id = ANY(%s)",
                        [done],
                    )
                    rounds += 1
                    have += len(done)
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{Case._meta.db_table}', 'id'), MAX(id)) FROM {table}"
        )
        cur.execute("DROP TABLE city_leaf")
        cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute(f"VACUUM ANALYZE {events}")
    return rounds


def register() -> None:
    register_city_step("事件（一年的上报与办理）", load, order=40)
