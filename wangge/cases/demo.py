"""Demo cases: four weeks of reports in the demo town, in every state of the loop, so that the queues,
the case pages, the follow pages and the figures have something to show. Written through the services
(the same verbs users call), on a demo clock set back to each step's moment."""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import datetime, timedelta

import shapely
from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases import calendar
from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.core import outbox
from wangge.core.demo import register_step
from wangge.core.models import OutboxMessage
from wangge.grids import services as grids
from wangge.grids.models import Grid, RoleAssignment
from wangge.mediation import services as mediation
from wangge.registry import services as registry

CASES = 400
SHOWCASE = 8  # the cases `_showcase` adds
GAS_CLUSTER = ["楼道里有燃气味", "厨房燃气表附近有异味", "单元门口闻到煤气味", "燃气管道接口疑似漏气"]
DESCRIPTIONS = {
    "garbage_dumping": ["小区门口垃圾堆放多日无人清理", "路边有人倾倒建筑垃圾", "垃圾桶满了溢出来"],
    "sewage": ["下水道堵塞污水外溢", "雨水井冒污水，气味很大"],
    "dead_animal": ["路中间有死猫", "河边有死鱼"],
    "street_lamp": ["路灯不亮，晚上很黑", "一排路灯都坏了", "路灯白天也亮着"],
    "manhole_cover": ["井盖缺失，很危险", "井盖松动有响声"],
    "road_damage": ["路面坑洼积水", "人行道砖块松动"],
    "water_supply": ["自来水管爆裂漏水", "整栋楼停水两天了"],
    "illegal_parking": ["车辆长期占用消防通道", "有车堵在小区门口"],
    "street_vending": ["流动摊贩占道经营", "早市摊位摆到马路上"],
    "illegal_building": ["楼顶加盖违章建筑", "院子里私搭铁皮棚"],
    "noise": ["夜间施工噪音很大", "广场舞音响太吵"],
    "fire_hazard": ["楼道堆放杂物堵塞通道", "电动车在楼道里充电"],
    "elderly_care": ["独居老人几天没出门", "老人摔倒需要帮助"],
    "neighbour_dispute": ["楼上漏水邻居不处理", "邻居占用公共通道"],
    "other_issue": ["公告栏破损", "小区健身器材损坏"],
}


@contextmanager
def demo_clock(moment: datetime):
    """Let the services believe it is `moment` (only while the demo is written)."""
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def load(rng: random.Random) -> None:
    now = timezone.now()
    calendar.seed_from_holidays(range(now.year - 1, now.year + 2))
    units = list(grids.leaf_grids().order_by("code"))
    centre = User.objects.get(username="centre")
    admin = User.objects.get(username="admin")
    departments = {u.department_id: u for u in User.objects.filter(role="department_staff")}
    keys = list(DESCRIPTIONS)
    for n in range(CASES):
        start = now - timedelta(days=rng.uniform(0.05, 28))
        unit = units[0] if n % 5 == 0 else rng.choice(units)  # the demo worker's grid gets its share
        point = _point_in(unit, rng)
        key = rng.choice(keys)
        description = rng.choice(DESCRIPTIONS[key])
        phone = f"139{rng.randint(10000000, 99999999)}" if rng.random() < 0.6 else ""
        channel = "hotline" if rng.random() < 0.2 else "resident"
        data = cases.ReportIn(
            category=key,
            description=description,
            lon=point[0],
            lat=point[1],
            reporter_phone=phone,
            channel=channel,
            hotline_number=f"SN{start:%Y%m%d}{n:04d}" if channel == "hotline" else None,
            client_id=f"demo-{n}",
            attributes={"kind": "漏水"} if key == "neighbour_dispute" else {},
        )
        with demo_clock(start):
            case = cases.report(data)
        fate = rng.random()
        actor_grid = Grid.objects.get(pk=case.grid_id) if case.grid_id else None
        acting = _worker_of(actor_grid) or centre  # most demo grids' workers have no login
        t = start
        steps = []
        if fate < 0.08:
            continue  # still waiting to be accepted
        steps.append(("accept", acting))
        if fate < 0.12:
            steps.append(("reject", acting))
        else:
            steps.append(("dispatch", centre))
            if fate > 0.3:
                if case.handler_department_id:
                    handler = departments.get(case.handler_department_id) or admin
                else:
                    handler = acting if case.handler_grid_id == case.grid_id else centre
                if case.category.dispute_kind:  # to the mediation register; its outcome closes the case
                    steps.append(("dispute", centre))
                    if fate > 0.6:
                        steps.append(("mediate", centre))
                    steps = [s for s in steps if s[0] != "handle"]
                else:
                    steps.append(("handle", handler))
                if fate > 0.42 and not case.category.dispute_kind:
                    steps.append(("verify", acting))
                    if fate > 0.6:
                        steps.append(("rate", None))
        for step, who in steps:
            t = t + timedelta(hours=min(48, rng.expovariate(1 / 3)))  # mostly within hours, a few late
            if t >= now:
                break
            with demo_clock(t):
                if step == "accept":
                    cases.accept(case, by=who)
                elif step == "reject":
                    cases.reject(case, by=who, reason="not_ours", comment="属于物业管理范围，已告知物业")
                elif step == "dispatch":
                    cases.dispatch(case, by=who)
                elif step == "handle":
                    if case.category.visit_required:  # 五必到: on site before it can be reported done
                        cases.site_visit(case, by=who, comment="已到现场查看")
                    cases.handle(case, by=who, comment="已到现场处理完毕")
                elif step == "dispute":
                    cases.open_dispute(case, by=who, parties=["反映人", "对方住户"])
                elif step == "mediate":
                    dispute = cases.dispute_of(case)
                    mediation.add_session(
                        dispute, by=who, notes="双方到场，调解员讲明道理", mediator="社区调解员"
                    )
                    mediation.close(dispute, by=who, status="agreed", outcome="双方达成谅解",
                                    agreement="双方互相谅解，今后注意")  # fmt: skip
                elif step == "verify":
                    cases.verify(case, by=who, passed=rng.random() < 0.92, comment="现场核查")
                elif step == "rate" and case.status == "closed":
                    r = rng.choices(["satisfied", "basic", "unsatisfied"], [80, 15, 5])[0]
                    cases.rate(case, rating=r, comment="还是没弄好" if r == "unsatisfied" else "")
    cases.sweep(now)
    _showcase(now, units[0], centre, admin)
    _gas_cluster(now, rng)


def _gas_cluster(now: datetime, rng: random.Random) -> None:
    """Last week, gas smelled again and again round 胜利街3号: what the weekly review's risk notice is for
    ("燃气类事件本周比四周均值增加…，集中在胜利街3号附近")."""
    street = Grid.objects.filter(name="胜利街社区").first()
    unit = (
        grids.leaf_grids().filter(path__startswith=street.path).order_by("code").first() if street else None
    )
    if unit is None:
        return
    lon, lat = shapely.geometry.shape(unit.boundary).representative_point().coords[0]
    monday = timezone.localtime(now).date() - timedelta(days=timezone.localtime(now).weekday() + 7)
    for n, text in enumerate(
        ["楼道里有燃气味", "厨房燃气表附近有异味", "单元门口闻到煤气味", "燃气管道接口疑似漏气"]
    ):
        moment = timezone.make_aware(datetime.combine(monday + timedelta(days=n + 1), datetime.min.time()))
        with demo_clock(moment + timedelta(hours=9 + n)):
            cases.report(cases.ReportIn(
                category="gas_leak", description=text, lon=lon + rng.uniform(-0.0005, 0.0005),
                lat=lat + rng.uniform(-0.0005, 0.0005), address="胜利街3号", client_id=f"demo-gas-{n}",
            ))  # fmt: skip


def _showcase(now: datetime, unit: Grid, centre: User, admin: User) -> None:
    """What the loop's rules look like on real cases, in the demo worker's grid: a 12345 caller who rang
    three times (one group, handled together), a case paused and resumed with its clock continued, a
    五必到 case that waits for someone on site, and a return call."""
    worker = _worker_of(unit) or admin
    where = unit.boundary and shapely.geometry.shape(unit.boundary).representative_point()
    lon, lat = (where.x, where.y) if where else (None, None)
    day = timedelta(days=1)
    first = None
    for k, text in enumerate(["楼下路灯不亮", "路灯还是不亮，晚上看不见路", "第三次反映路灯问题"]):
        with demo_clock(now - (6 - k) * day):
            call = cases.report(cases.ReportIn(
                category="street_lamp", description=text, lon=lon, lat=lat, reporter_phone="13905930001",
                channel="hotline", hotline_number=f"SN-REPEAT-{k + 1}", client_id=f"demo-repeat-{k}",
            ))  # fmt: skip
            if first is None:
                first = call
            else:
                Case.objects.filter(pk=call.pk).update(repeat_of=first)
    assert first is not None
    with demo_clock(now - 2 * day):
        cases.handle_together(first, by=centre)
    paused = None
    with demo_clock(now - 10 * day):
        paused = cases.report(cases.ReportIn(category="road_damage", description="路面塌陷，需等雨季过后修复",
                                             lon=lon, lat=lat, client_id="demo-paused"))  # fmt: skip
        cases.accept(paused, by=centre)
        cases.dispatch(paused, by=centre, to_grid=unit)
    with demo_clock(now - 8 * day):
        cases.request_suspension(paused, by=worker, comment="连日降雨，无法施工")
        cases.decide_request(paused, by=centre, approve=True)
    with demo_clock(now - 2 * day):
        cases.resume(paused, by=worker, comment="天晴，恢复施工")
    with demo_clock(now - 1 * day):
        text = "独居老人几天没出门，电话不接"
        must_go = cases.report(cases.ReportIn(category="elderly_care", description=text, lon=lon, lat=lat,
                                              client_id="demo-must-go"))  # fmt: skip
        cases.accept(must_go, by=centre)
        cases.dispatch(must_go, by=centre, to_grid=unit)  # 反馈办结 waits for 记录到场
    called = cases.return_calls_due(centre).filter(channel=Case.Channel.HOTLINE).order_by("closed_at").first()
    if called is not None:
        cases.return_call(called, by=centre, outcome="satisfied", comment="问题已解决，很满意")
    _hotline_orders(now, centre)
    with demo_clock(now - 5 * day):
        quarrel = cases.report(cases.ReportIn(
            category="neighbour_dispute", description="楼上装修噪音大，多次沟通无果，双方吵起来了",
            lon=lon, lat=lat, reporter_phone="13905930003", client_id="demo-dispute",
            attributes={"kind": "噪音"},
        ))  # fmt: skip
        cases.accept(quarrel, by=centre)
        cases.dispatch(quarrel, by=centre, to_grid=unit)
    with demo_clock(now - 4 * day):  # one record: the case is the dispute in the mediation register
        dispute = cases.open_dispute(quarrel, by=worker, parties=["王建国（楼下）", "李明（楼上）"])
    with demo_clock(now - 3 * day):
        mediation.add_session(dispute, by=worker, notes="约双方到社区，约定装修只在工作日 8-12 点、14-18 点",
                              mediator="社区调解员")  # fmt: skip
        mediation.close(dispute, by=worker, status="agreed", outcome="双方达成协议",
                        agreement="装修仅在工作日 8-12 点、14-18 点进行")  # fmt: skip  # closes the case


def _hotline_orders(now: datetime, centre: User) -> None:
    """Two 12345 orders as the hotline writes their addresses: one the address base places by itself,
    one it will not guess (胜利街3号 is in town and in two villages), waiting to be placed by a person."""
    book = registry.address_book()
    orders = [
        ("SN-ADDR-1", "福建省宁德市寿宁县鳌阳镇北门村胜利街3号", "门口下水道堵了，污水漫到路上"),
        ("SN-ADDR-2", "鳌阳镇胜利街3号", "路边有一棵树倒了，挡住了路"),
    ]
    placed = None
    for number, address, content in orders:
        order = cases.OrderIn(number=number, called_at=now, caller="", phone="", address=address,
                              content=content, kind="", due=None)  # fmt: skip
        with demo_clock(now - timedelta(hours=3)):
            case = cases.import_order(order, book=book, by=centre)
            placed = placed or case
    assert placed is not None
    # an SMS the provider refused eight times (the caller's daily limit): kept, on 运行状况 to send again
    key = f"case:{placed.pk}:demo:sms"
    error = "LimitExceeded.PhoneNumberDailyLimit: 单个手机号日下发短信条数超过设定的上限"
    with transaction.atomic():  # failed before any delivery sees it
        link = cases.short_follow_url(placed.token)
        outbox.notify(key, channel="sms", phone="13905930002", title="您反映的问题已受理",
                      body=f"{placed.code} 您反映的问题已受理", link=link)  # fmt: skip
        OutboxMessage.objects.filter(key=key).update(attempts=outbox.MAX_ATTEMPTS, last_error=error)


def _point_in(grid, rng: random.Random) -> tuple[float, float]:
    shape = shapely.geometry.shape(grid.boundary)
    minx, miny, maxx, maxy = shape.bounds
    for _ in range(100):
        p = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(p):
            return p.x, p.y
    p = shape.representative_point()
    return p.x, p.y


def _worker_of(grid):
    if grid is None:
        return None

    a = (
        RoleAssignment.objects.filter(grid=grid, user__isnull=False, valid_to__isnull=True)
        .select_related("user")
        .first()
    )
    return a.user if a else None


def tally(rng: random.Random) -> None:
    from wangge.cases import tallies

    tallies.rebuild()  # the demo backdates its cases in bulk: count every day once, at the end


def council(rng: random.Random) -> None:
    """百姓议事会 in the demo worker's grid: a resident's topic about parking, decided by a vote, published,
    and followed to its case (the cases module hands the matter on; engagement sits below it)."""
    from wangge.engagement import services as engagement

    resident = User.objects.get(username="resident")
    person = registry.person_of_user(resident)
    if person is None:
        return
    community = User.objects.get(username="community")
    topic = engagement.raise_topic(title="院内乱停车、消防通道被占", by=resident,
                                   description="晚上院子里停满车，消防通道经常被堵。")  # fmt: skip
    engagement.record_meeting(
        topic, held_on=timezone.localdate() - timedelta(days=3), place="党群服务中心",
        attendees=["网格长", "楼栋长", "业主代表甲", "业主代表乙", "业主代表丙", "物业"],
        views="多数同意划定车位、消防通道禁停；物业负责巡查。", way="vote", votes_for=5, votes_against=1,
        decision="院内划定停车位 12 个，消防通道全天禁停，请城管协助清理长期占道车辆。", by=community,
    )  # fmt: skip
    where = (
        shapely.geometry.shape(person.grid.boundary).representative_point() if person.grid.boundary else None
    )
    case = cases.report(cases.ReportIn(
        category="illegal_parking", description=f"议事会决议：{topic.decision}",
        lon=where.x if where else None, lat=where.y if where else None, client_id="demo-council",
    ))  # fmt: skip
    engagement.hand_to_case(topic, case_code=case.code)
    engagement.raise_topic(title="老旧楼栋加装电梯", by=resident, description="5 楼以上老人上下楼困难。")


def register() -> None:
    register_step("百姓议事会（议题、表决、转办事件）", council, order=80)
    register_step("事件（四周的上报与办理）", load, order=60)
    register_step("事件日汇总", tally, order=95)
