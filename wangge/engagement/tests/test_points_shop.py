"""爱心积分超市: donated goods with their donor, stock kept in moves, redemption at the counter with a
receipt; never more than the stock or the balance; an undone redemption gives points and goods back once; the
monthly statement and the community's monthly report add up to the ledger."""

import pytest
from django.core.exceptions import ValidationError

from testkit import grid_worker, staff
from wangge.engagement import services
from wangge.engagement.models import StockMove
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(town):
    village = town.seconds[0]
    cashier = staff("community_staff", scope=village)
    shop = services.open_shop(
        village, name="第1村爱心积分超市", address="村委会一楼", opening_hours="周六 9:00-11:00"
    )
    rice = services.add_goods(shop, name="大米 5kg", price=50, unit="袋")
    soap = services.add_goods(shop, name="洗衣液", price=20, unit="瓶")
    donor = services.donor_named(village, "县供电公司")
    services.stock_in(rice, 2, donor=donor, by=cashier)
    services.stock_in(soap, 10, bought=True, by=cashier, note="村集体经费采购")
    _home, (mother, son) = household_with_people(town.units[0], names=("王阿婆", "王小军"))
    account = services.account_of(person=mother)
    services.grant(account, 120, reason="志愿服务", by=grid_worker(town.units[0]))
    return {"shop": shop, "rice": rice, "soap": soap, "cashier": cashier, "account": account, "donor": donor}


def test_a_redemption_takes_points_and_stock_and_gives_a_receipt(shop):
    rice, cashier, account = shop["rice"], shop["cashier"], shop["account"]
    receipt = services.redeem_goods(account, rice, 1, by=cashier, client_id="counter-1")
    again = services.redeem_goods(account, rice, 1, by=cashier, client_id="counter-1")  # a retried tap
    assert again.pk == receipt.pk
    rice.refresh_from_db()
    account.refresh_from_db()
    assert (rice.stock, account.balance, receipt.points) == (1, 70, 50)
    assert receipt.number.endswith(f"-{receipt.transfer_id}") and receipt.transfer.kind == "redeem"
    assert services.shop_account(shop["shop"]).balance == 50
    with pytest.raises(ValidationError) as short:
        services.redeem_goods(account, rice, 2, by=cashier)
    assert "大米 5kg 库存不足：现有 1袋，要兑换 2袋" in str(short.value)
    with pytest.raises(ValidationError) as poor:
        services.redeem_goods(account, shop["soap"], 4, by=cashier)
    assert "积分不足：余额 70，需要 80" in str(poor.value)
    rice.refresh_from_db()
    assert rice.stock == 1 and services.stock_mismatches() == [] and services.check_balances() == []


def test_an_undone_redemption_gives_points_and_goods_back_once(shop):
    rice, cashier, account = shop["rice"], shop["cashier"], shop["account"]
    receipt = services.redeem_goods(account, rice, 2, by=cashier)
    services.undo_redemption(receipt, reason="拿错了商品", by=cashier)
    with pytest.raises(ValidationError) as twice:
        services.undo_redemption(receipt, reason="再退一次", by=cashier)
    assert "已更正过" in str(twice.value)
    rice.refresh_from_db()
    account.refresh_from_db()
    assert (rice.stock, account.balance) == (2, 120)
    assert services.stock_mismatches() == [] and services.check_balances() == []


def test_stock_needs_a_donor_or_a_purchase_and_a_write_off_a_reason(shop):
    rice, cashier = shop["rice"], shop["cashier"]
    with pytest.raises(ValidationError) as donor:
        services.stock_in(rice, 5, by=cashier)
    assert "捐赠入库请填写捐赠方" in str(donor.value)
    with pytest.raises(ValidationError) as reason:
        services.write_off(rice, 1, by=cashier, note=" ")
    assert "请填写报损原因" in str(reason.value)
    with pytest.raises(ValidationError) as more:
        services.write_off(rice, 3, by=cashier, note="受潮")
    assert "库存不足：现有 2，报损 3" in str(more.value)
    with pytest.raises(ValidationError) as same:
        services.add_goods(shop["shop"], name="洗衣液", price=5)
    assert "同名商品" in str(same.value)
    services.write_off(rice, 1, by=cashier, note="受潮")
    assert StockMove.objects.filter(goods=rice).count() == 2 and services.stock_mismatches() == []


def test_statement_and_community_report_add_up_to_the_ledger(town, shop):
    from django.utils import timezone

    cashier, account = shop["cashier"], shop["account"]
    services.redeem_goods(account, shop["soap"], 2, by=cashier)
    month = timezone.localdate().replace(day=1)
    st = services.statement(account, month)
    assert (st.opening, st.earned, st.spent, st.closing) == (0, 120, 40, 80) and len(st.entries) == 2
    [line] = [
        x for x in services.statements(services.holders_for(cashier), month) if x.account_id == account.pk
    ]
    assert (line.opening, line.earned, line.spent, line.other, line.closing) == (0, 120, 40, 0, 80)
    report = services.community_month(town.seconds[0], month)
    assert (report.granted, report.redeemed, report.outstanding, report.holders) == (120, 40, 80, 1)
    soap = next(g for g in report.goods if g["goods"].name == "洗衣液")
    assert (soap["in"], soap["out"], soap["stock"]) == (10, 2, 8)
    other = services.community_month(town.seconds[1], month)  # the other village saw nothing of it
    assert (other.granted, other.redeemed, other.holders, other.goods) == (0, 0, 0, [])
