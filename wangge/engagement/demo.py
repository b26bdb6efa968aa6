"""Demo points: a points shop in each of the first three communities, stocked with goods donated by
local units; a month of points earned by the scene's rules (volunteer hours, courtyards kept clean, help
in mediation) and spent at the counter, so that statements, the shelf and the monthly report all have a
month to show. The demo resident holds points and has redeemed once."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.demo import register_step
from wangge.engagement import services
from wangge.engagement.models import Activity, PointTransfer, Redemption, SignUp, StockMove
from wangge.grids.models import Grid
from wangge.registry import services as registry

GOODS = [
    ("洗洁精", 20, "瓶"),
    ("毛巾", 15, "条"),
    ("大米 5kg", 60, "袋"),
    ("食用油 1.8L", 50, "桶"),
    ("牙膏", 10, "支"),
    ("雨伞", 40, "把"),
]
DONORS = [
    ("县供电公司", "unit"),
    ("县农商银行", "enterprise"),
    ("惠民超市", "enterprise"),
    ("县人民医院", "unit"),
]
DETAILS = ["环境卫生整治", "敬老院陪护", "垃圾分类宣传", "防汛值守", "文明交通劝导", "反诈宣传入户"]


def _backdate(model, pk: int, when: datetime) -> None:
    model.objects.filter(pk=pk).update(at=when)


def load(rng: random.Random) -> None:
    today = timezone.localdate()
    community = User.objects.get(username="community")
    worker = User.objects.get(username="worker")
    seconds = list(Grid.objects.filter(depth=2).order_by("path")[:3])
    shops = []
    for n, grid in enumerate(seconds):
        shop = services.open_shop(
            grid,
            name=f"{grid.name}爱心积分超市",
            address=f"{grid.name}党群服务中心一楼",
            opening_hours="每周六 9:00-11:30",
        )
        for name, price, unit in GOODS:
            goods = services.add_goods(shop, name=name, price=price, unit=unit)
            donor_name, kind = DONORS[(n + len(name)) % len(DONORS)]
            services.stock_in(
                goods, rng.randint(20, 60), donor=services.donor_named(grid, donor_name, kind), by=community
            )
        shops.append(shop)
    people = list(registry.persons_for(community).filter(household__isnull=False).order_by("?")[:160])
    resident = registry.person_of_user(User.objects.get(username="resident"))
    if resident is not None:
        people.insert(0, resident)
    granted = spent = 0
    for i, person in enumerate(people):
        for _k in range(rng.randint(1, 4)):
            day = today - timedelta(days=rng.randint(0, 30))
            when = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59))))
            try:
                given = services.earn(
                    "volunteer_hour",
                    by=community,
                    person=person,
                    quantity=rng.choice([1, 2, 3]),
                    detail=rng.choice(DETAILS),
                )
            except ValidationError:  # a rule's limit reached: the demo moves on, as a worker would
                continue
            _backdate(PointTransfer, given.pk, when)
            granted += 1
        if i % 5 == 0 and person.household_id:
            try:
                given = services.earn("courtyard", by=worker, household=person.household, detail="月度评比")
                granted += 1
            except ValidationError:
                pass
    shop = shops[0]
    shelf = list(services.shop_goods(shop))
    for person in people[:60]:
        account = services.account_of(person=person)
        account.refresh_from_db()
        affordable = [g for g in shelf if g.price <= account.balance]
        if not affordable or (person != resident and rng.random() < 0.4):
            continue
        r = services.redeem_goods(account, rng.choice(affordable), 1, by=community)
        when = timezone.now() - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
        _backdate(PointTransfer, r.transfer_id, when)
        Redemption.objects.filter(pk=r.pk).update(at=when)
        StockMove.objects.filter(redemption=r).update(at=when)
        spent += 1
    print(f"积分：{len(shops)} 个积分超市，{granted} 次发放，{spent} 次兑换")


TEAMS = [
    ("党员先锋服务队", "party"),
    ("青年志愿服务队", "youth"),
    ("巾帼志愿服务队", "women"),
    ("邻里守望服务队", "neighbours"),
]
ACTIVITIES = [
    ("河道垃圾清理", "河堤步道"),
    ("敬老院义剪", "镇敬老院"),
    ("防诈骗宣传入户", "各小区"),
    ("文明交通劝导", "十字路口"),
    ("独居老人探访", "老人家中"),
    ("垃圾分类指导", "小区分类点"),
]


def volunteers(rng: random.Random) -> None:
    """Teams in the first three communities, a month of activities (most done with hours confirmed, a few
    to come), the demo resident a member who served twice."""
    community = User.objects.get(username="community")
    now = timezone.now()
    resident = registry.person_of_user(User.objects.get(username="resident"))
    teams = activities = confirmed = 0
    for grid in Grid.objects.filter(depth=2).order_by("path")[:3]:
        people = list(
            registry.persons_for(community).filter(grid__path__startswith=grid.path).order_by("?")[:40]
        )
        if resident is not None and resident.grid.path.startswith(grid.path):
            people.insert(0, resident)
        for name, kind in TEAMS[: rng.randint(2, 4)]:
            team = services.create_team(grid, name=name, kind=kind, leader=people[0].name if people else "")
            members = people[: rng.randint(8, 15)]
            for person in members:
                services.add_member(team, person, party_member=kind == "party" or rng.random() < 0.2)
            teams += 1
            for n in range(rng.randint(3, 6)):
                title, place = rng.choice(ACTIVITIES)
                start = (
                    (now + timedelta(days=rng.randint(1, 7)))
                    if n == 0
                    else now - timedelta(days=rng.randint(1, 30))
                )
                start = start.replace(minute=0, second=0, microsecond=0)
                act = services.create_activity(
                    team,
                    title=title,
                    place=place,
                    starts_at=start,
                    ends_at=start + timedelta(hours=rng.choice([2, 3])),
                    capacity=rng.randint(8, 20),
                    by=community,
                )
                activities += 1
                takers = rng.sample(members, min(len(members), rng.randint(3, 8)))
                if n == 1 and resident in members and resident not in takers:
                    takers.append(resident)
                Activity.objects.filter(pk=act.pk).update(status=Activity.Status.OPEN)
                for person in takers:
                    if act.starts_at > now:
                        services.sign_up(act, person)
                        continue
                    place_ = SignUp.objects.create(
                        activity=act,
                        person=person,
                        checked_in_at=act.starts_at + timedelta(minutes=rng.randint(0, 20)),
                    )
                    done = services.confirm_hours(place_, rng.choice([1, 1.5, 2]), by=community)
                    if done.points_id:
                        _backdate(PointTransfer, done.points_id, act.ends_at + timedelta(hours=1))
                    confirmed += 1
                if act.starts_at <= now:
                    Activity.objects.filter(pk=act.pk).update(status=Activity.Status.DONE)
    print(f"志愿服务：{teams} 支服务队，{activities} 次活动，{confirmed} 人次确认时长")


def register() -> None:
    register_step("积分与爱心积分超市（一个月的发放与兑换）", load, order=75)
    register_step("志愿服务（服务队、活动、签到与时长）", volunteers, order=74)
