"""Two cashiers at once, in two processes on one database (PostgreSQL's row locks, SQLite's write lock):
the last items of a shelf are sold once each, never below zero stock, and one resident's points are
never spent twice, however the two redemptions interleave."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from wangge.tests.test_nothing_lost_when_a_process_dies import ROOT, SETUP, RealDatabase

pytestmark = pytest.mark.long

GOODS = 20

LAYOUT = """
from testkit import build_town, staff
from wangge.engagement import services
from wangge.registry.tests.factories import household_with_people
town = build_town()
village = town.seconds[0]
cashier = staff("community_staff", scope=village, username="cashier")
shop = services.open_shop(village, name="爱心积分超市")
_h, (a, b, c) = household_with_people(town.units[0], names=("甲", "乙", "丙"))
accounts = [services.account_of(person=p) for p in (a, b, c)]
for account, points in zip(accounts, (1000, 1000, 100)):
    services.grant(account, points, reason="志愿服务", by=cashier)
for i in range(%(goods)d):  # the last item of each: both cashiers want it
    services.stock_in(services.add_goods(shop, name=f"last-{i}", price=10), 1, bought=True, by=cashier)
    services.stock_in(services.add_goods(shop, name=f"many-{i}", price=10), 5, bought=True, by=cashier)
print(json.dumps([x.pk for x in accounts]))
"""

COUNTER = """
import os, time
from django.core.exceptions import ValidationError
from wangge.accounts.models import User
from wangge.engagement import services
from wangge.engagement.models import Goods, PointAccount
cashier = User.objects.get(username="cashier")
account = PointAccount.objects.get(pk=%(account)d)
goods = list(Goods.objects.filter(name__startswith="%(prefix)s").order_by("pk"))
print("ready", flush=True)
while not os.path.exists("%(go)s"):
    pass
sold, refused = 0, []
for g in goods:
    try:
        services.redeem_goods(account, g, 1, by=cashier)
        sold += 1
    except ValidationError as e:
        refused.append(e.messages[0])
    time.sleep(0.005)  # the next customer: the other counter gets its turn at the lock
print(json.dumps({"sold": sold, "refused": refused}))
"""

CHECK = """
from wangge.engagement import services
from wangge.engagement.models import Shop
shop = services.shop_account(Shop.objects.get())
print(json.dumps([len(services.check_balances()), len(services.stock_mismatches()), shop.balance]))
"""


def both_at_once(db: RealDatabase, tmp, accounts: tuple[int, int], prefix: str) -> list[dict]:
    go = tmp / f"go-{prefix}"
    counters = [
        subprocess.Popen([sys.executable, "-c", SETUP + COUNTER % {"account": a, "prefix": prefix, "go": go}],
                         env=db.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for a in accounts
    ]  # fmt: skip
    for c in counters:  # both loaded and spinning before either starts
        assert c.stdout.readline().strip() == "ready", c.stderr.read()[-2000:]
    time.sleep(0.05)
    go.touch()
    results = []
    for c in counters:
        out, err = c.communicate(timeout=300)
        assert c.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_the_last_items_sell_once_and_no_point_is_spent_twice(tmp_path):
    db = RealDatabase(tmp_path)
    try:
        first, second, poor = db.python(LAYOUT % {"goods": GOODS})
        # two residents, two cashiers, the same twenty last items
        one, two = both_at_once(db, tmp_path, (first, second), "last-")
        assert one["sold"] + two["sold"] == GOODS
        assert all("库存不足：现有 0" in m for m in one["refused"] + two["refused"])
        assert db.value("SELECT COUNT(*) FROM engagement_goods WHERE name LIKE 'last-%' AND stock <> 0") == 0
        # one resident with 100 points at both counters at once, plenty on the shelf: 10 items, not 20
        a, b = both_at_once(db, tmp_path, (poor, poor), "many-")
        assert a["sold"] + b["sold"] == 10
        assert all("积分不足：余额 0，需要 10" in m for m in a["refused"] + b["refused"])
        assert db.value("SELECT balance FROM engagement_pointaccount WHERE id = ?", (poor,)) == 0
        checked = db.python(CHECK)
        assert checked == [0, 0, GOODS * 10 + 100]
    finally:
        db.drop()
