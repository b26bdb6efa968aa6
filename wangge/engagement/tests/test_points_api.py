"""Points through the API: the worker's phone grants by a rule, the counter redeems by a scanned card, the
resident reads their own points and card; refusals are 422 in Chinese with nothing written, and another
community's card, account or goods are not found."""

import json

import pytest

from testkit import UserFactory, grid_worker, staff
from wangge.engagement import services
from wangge.engagement.models import PointTransfer, Redemption
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town):
    one, two = town.seconds
    shop = services.open_shop(one, name="第1村爱心积分超市")
    towel = services.add_goods(shop, name="毛巾", price=15, unit="条")
    cashier = staff("community_staff", scope=one)
    services.stock_in(towel, 3, bought=True, by=cashier)
    _h, (auntie, _u) = household_with_people(town.units[0], names=("孙阿姨", "孙叔叔"))
    return {"towel": towel, "cashier": cashier, "auntie": auntie, "worker": grid_worker(town.units[0]),
            "stranger_cashier": staff("community_staff", scope=two)}  # fmt: skip


def test_grant_by_phone_redeem_by_card_and_the_resident_reads_their_own(client, world):
    client.force_login(world["worker"])
    given = client.post("/api/points/grants", {"person": world["auntie"].pk, "rule": "volunteer_hour",
                        "quantity": 2, "detail": "垃圾分类"}, content_type="application/json")  # fmt: skip
    assert given.status_code == 201 and given.json()["amount"] == 20 and given.json()["balance"] == 20
    over = client.post("/api/points/grants", {"person": world["auntie"].pk, "rule": "volunteer_hour",
                       "quantity": 50}, content_type="application/json")  # fmt: skip
    assert over.status_code == 422 and "还可发 280 分" in over.json()["detail"]
    resident = UserFactory(role="resident", phone=world["auntie"].phone)
    client.force_login(resident)
    [mine, home] = client.get("/api/points/me").json()
    assert (mine["holder"], mine["balance"], home["kind"]) == ("孙阿姨", 20, "household")
    assert mine["entries"][0]["reason"] == "志愿服务：垃圾分类（2小时）" and mine["card"]
    assert client.post("/api/points/redemptions", {"goods": world["towel"].pk, "card": mine["card"]},
                       content_type="application/json").status_code == 403  # fmt: skip
    client.force_login(world["cashier"])
    sold = client.post("/api/points/redemptions", {"goods": world["towel"].pk, "card": mine["card"],
                       "note": "本人领取"}, content_type="application/json")  # fmt: skip
    assert sold.status_code == 201 and (sold.json()["balance"], sold.json()["points"]) == (5, 15)
    poor = client.post("/api/points/redemptions", {"goods": world["towel"].pk, "card": mine["card"]},
                       content_type="application/json")  # fmt: skip
    assert poor.status_code == 422 and "积分不足：余额 5，需要 15" in poor.json()["detail"]
    assert Redemption.objects.count() == 1 and PointTransfer.objects.count() == 2
    bad = client.post("/api/points/redemptions", {"goods": world["towel"].pk, "card": "forged"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "无法识别的积分码" in bad.json()["detail"]


def test_another_communitys_card_account_and_goods_are_not_found(client, world, town):
    account = services.account_of(person=world["auntie"])
    services.grant(account, 50, reason="志愿服务", by=world["worker"])
    card = services.card_token(account)
    client.force_login(world["stranger_cashier"])
    for body in (
        {"goods": world["towel"].pk, "card": card},
        {"goods": world["towel"].pk, "account": account.pk},
    ):
        refused = client.post("/api/points/redemptions", body, content_type="application/json")
        assert refused.status_code == 422 and "孙阿姨" not in json.dumps(refused.json(), ensure_ascii=False)
    assert client.get(f"/api/points/accounts/{account.pk}").status_code == 404
    other_worker = grid_worker(town.units[7])
    client.force_login(other_worker)
    assert client.post("/api/points/grants", {"person": world["auntie"].pk, "rule": "volunteer_hour"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert Redemption.objects.count() == 0 and PointTransfer.objects.count() == 1
