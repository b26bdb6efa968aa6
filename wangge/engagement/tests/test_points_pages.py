"""The points pages: a worker grants by a rule and the statement shows it; the cashier scans the resident's
card and redeems, a retried tap stores one receipt; nobody reaches another community's holders, cards,
receipts or reports, and a resident sees only their own points."""

import re

import pytest
from django.urls import reverse

from testkit import UserFactory, grid_worker, staff
from wangge.core.excel import read_rows
from wangge.engagement import services
from wangge.engagement.models import PointTransfer, Redemption
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def villages(town):
    one, two = town.seconds
    shop = services.open_shop(one, name="第1村爱心积分超市")
    oil = services.add_goods(shop, name="食用油", price=30, unit="桶")
    cashier = staff("community_staff", scope=one)
    services.stock_in(oil, 5, donor=services.donor_named(one, "县农商银行"), by=cashier)
    _h, (granny, _son) = household_with_people(town.units[0], names=("赵奶奶", "赵小明"))
    _h2, (stranger, _w) = household_with_people(town.units[7], names=("钱大伯", "钱大妈"))
    return {
        "shop": shop, "oil": oil, "cashier": cashier, "granny": granny, "stranger": stranger,
        "worker": grid_worker(town.units[0]), "other_cashier": staff("community_staff", scope=two),
        "other_worker": grid_worker(town.units[7]),
    }  # fmt: skip


def test_a_worker_grants_by_a_rule_and_the_statement_and_export_show_it(client, villages):
    client.force_login(villages["worker"])
    page = client.get(reverse("engagement:person", args=[villages["granny"].pk]), follow=True)
    account = services.account_of(person=villages["granny"])
    assert page.status_code == 200 and "赵奶奶" in page.content.decode()
    earn = reverse("engagement:earn", args=[account.pk])
    shown = client.post(earn, {"rule": "volunteer_hour", "quantity": "3", "detail": "环境整治"}, follow=True)
    assert "已发放 30 分：志愿服务：环境整治（3小时）" in shown.content.decode()
    refused = client.post(earn, {"rule": "volunteer_hour", "quantity": "40"}, follow=True).content.decode()
    assert "本月最多 300 分，还可发 270 分，本次 400 分" in refused
    bad = client.post(earn, {"rule": "no_such_rule", "quantity": "1"}, follow=True).content.decode()
    assert "no_such_rule" in bad and PointTransfer.objects.count() == 1
    _h, rows = read_rows(
        client.get(reverse("engagement:holder", args=[account.pk]), {"format": "xlsx"}).content
    )
    assert ["志愿服务：环境整治（3小时）", 30] == rows[0][2:4] and rows[-1][2:4] == ["月末余额", 30]
    _h, listed = read_rows(client.get(reverse("engagement:holders"), {"format": "xlsx"}).content)
    assert listed == [["赵奶奶", "个人", villages["granny"].grid.name, 30]]


def test_the_cashier_scans_the_card_redeems_and_a_retried_tap_stores_one_receipt(client, villages):
    account = services.account_of(person=villages["granny"])
    services.grant(account, 100, reason="志愿服务", by=villages["worker"])
    resident = UserFactory(role="resident", phone=villages["granny"].phone)
    client.force_login(resident)
    mine = client.get(reverse("engagement:me")).content.decode()
    assert "余额 <strong>100</strong>" in mine and "<svg" in mine and "第1村爱心积分超市" in mine
    token = services.card_token(account)
    client.force_login(villages["cashier"])
    counter = reverse("engagement:counter", args=[villages["shop"].pk])
    found = client.get(counter, {"card": token}).content.decode()
    assert "赵奶奶" in found and "食用油（30 分，库存 5桶）" in found
    client_id = re.search(r'name="client_id" value="(\w+)"', found).group(1)
    sale = {"account": account.pk, "goods": villages["oil"].pk, "quantity": "2", "client_id": client_id}
    first = client.post(reverse("engagement:redeem", args=[villages["shop"].pk]), sale, follow=True)
    client.post(reverse("engagement:redeem", args=[villages["shop"].pk]), sale)  # the tap again
    receipt = Redemption.objects.get()
    assert "兑换小票" in first.content.decode() and receipt.number in first.content.decode()
    account.refresh_from_db()
    assert account.balance == 40 and receipt.points == 60
    short = client.post(reverse("engagement:redeem", args=[villages["shop"].pk]),
                        {**sale, "client_id": "another"}, follow=True).content.decode()  # fmt: skip
    assert "积分不足：余额 40，需要 60" in short
    client.force_login(resident)  # the resident sees their own receipt
    assert client.get(reverse("engagement:receipt", args=[receipt.pk])).status_code == 200


def test_no_one_reaches_another_communitys_holders_cards_receipts_or_reports(client, town, villages):
    account = services.account_of(person=villages["granny"])
    services.grant(account, 100, reason="志愿服务", by=villages["worker"])
    receipt = services.redeem_goods(account, villages["oil"], 1, by=villages["cashier"])
    client.force_login(villages["other_cashier"])
    assert client.get(reverse("engagement:holder", args=[account.pk])).status_code == 404
    assert client.get(reverse("engagement:person", args=[villages["granny"].pk])).status_code == 404
    assert client.get(reverse("engagement:receipt", args=[receipt.pk])).status_code == 404
    assert client.get(reverse("engagement:shop", args=[villages["shop"].pk])).status_code == 404
    assert client.get(reverse("engagement:counter", args=[villages["shop"].pk])).status_code == 404
    assert client.get(reverse("engagement:report"), {"grid": town.seconds[0].code}).status_code == 404
    listed = client.get(reverse("engagement:holders"), {"q": "赵奶奶"}).content.decode()
    assert reverse("engagement:holder", args=[account.pk]) not in listed
    assert (
        reverse("engagement:person", args=[villages["granny"].pk]) not in listed
        and "<td>赵奶奶" not in listed
    )
    _h, rows = read_rows(client.get(reverse("engagement:holders"), {"format": "xlsx"}).content)
    assert rows == []
    own = services.open_shop(town.seconds[1], name="第2村积分超市")  # their own counter, a stolen card
    scanned = client.get(reverse("engagement:counter", args=[own.pk]),
                         {"card": services.card_token(account)}).content.decode()  # fmt: skip
    assert "无法识别的积分码" in scanned and "赵奶奶" not in scanned
    assert (
        client.post(
            reverse("engagement:redeem", args=[own.pk]),
            {"account": account.pk, "goods": villages["oil"].pk, "quantity": 1},
        ).status_code
        == 302
    )
    assert Redemption.objects.count() == 1  # another shop's goods and another village's holder: refused
    stranger = UserFactory(role="resident", phone=villages["stranger"].phone)
    client.force_login(stranger)
    assert client.get(reverse("engagement:receipt", args=[receipt.pk])).status_code == 404
    assert client.get(reverse("engagement:holder", args=[account.pk])).status_code == 403
    assert "赵奶奶" not in client.get(reverse("engagement:me")).content.decode()


def test_the_shop_page_takes_goods_in_with_a_donor_and_the_report_counts_them(client, town, villages):
    client.force_login(villages["cashier"])
    stock = reverse("engagement:stock", args=[villages["shop"].pk])
    refused = client.post(
        stock, {"goods": villages["oil"].pk, "quantity": 3, "donor_kind": "unit"}, follow=True
    )
    assert "捐赠入库请填写捐赠方" in refused.content.decode()
    client.post(
        stock, {"goods": villages["oil"].pk, "quantity": 3, "donor": "某超市", "donor_kind": "enterprise"}
    )
    client.post(stock, {"action": "write_off", "goods": villages["oil"].pk, "quantity": 1, "note": "过期"})
    villages["oil"].refresh_from_db()
    assert villages["oil"].stock == 7
    page = client.get(reverse("engagement:report"), {"grid": town.seconds[0].code}).content.decode()
    assert re.search(r"<td>食用油</td><td class=\"num\">8</td><td class=\"num\">0</td>"
                     r"<td class=\"num\">1</td>"
                     r"<td class=\"num\">7</td>", page)  # fmt: skip
