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
from wangge.engagement.models import PointTransfer, Redemption, StockMove
from wangge.grids.models import Grid
from wangge.registry import services as registry

GOODS = [("洗洁精", 20, "瓶"), ("毛巾", 15, "条"), ("大米 5kg", 60, "袋"), ("食用油 1.8L", 50, "桶"),
         ("牙膏", 10, "支"), ("雨伞", 40, "把")]  # fmt: skip
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
        shop = services.open_shop(grid, name=f"{grid.name}爱心积分超市",
                                  address=f"{grid.name}党群服务中心一楼",
                                  opening_hours="每周六 9:00-11:30")  # fmt: skip
        for name, price, unit in GOODS:
            goods = services.add_goods(shop, name=name, price=price, unit=unit)
            donor_name, kind = DONORS[(n + len(name)) % len(DONORS)]
            services.stock_in(goods, rng.randint(20, 60), donor=services.donor_named(grid, donor_name, kind),
                              by=community)  # fmt: skip
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
                given = services.earn("volunteer_hour", by=community, person=person,
                                      quantity=rng.choice([1, 2, 3]), detail=rng.choice(DETAILS))  # fmt: skip
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


def register() -> None:
    register_step("积分与爱心积分超市（一个月的发放与兑换）", load, order=75)
