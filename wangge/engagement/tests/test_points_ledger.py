"""积分: a double-entry, append-only ledger. Grants, redemptions and corrections are entry pairs; every
balance always equals its ledger (the check command agrees); no resident's balance goes below zero; a
correction is a new transfer, once; points are granted by a worker or an organiser, never by the earner;
a retried phone submission is stored once."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from testkit import UserFactory, grid_worker
from wangge.accounts.models import User
from wangge.engagement import services
from wangge.engagement.models import PointAccount, PointTransfer
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(town):
    unit = town.units[0]
    household, (mother, son) = household_with_people(unit, names=("李阿姨", "李小明"))
    return {
        "worker": grid_worker(unit),
        "mother": services.account_of(person=mother),
        "home": services.account_of(household=household),
        "shop": services.community_account(town.seconds[0], PointAccount.Kind.SHOP),
        "unit": unit,
    }


def test_grants_and_redemptions_are_entry_pairs_and_balances_equal_the_ledger(ledger):
    worker, mother, shop = ledger["worker"], ledger["mother"], ledger["shop"]
    services.grant(mother, 10, reason="志愿服务 2 小时", by=worker)
    services.grant(ledger["home"], 5, reason="庭院整洁（村规民约）", by=worker)
    services.redeem(mother, 4, shop=shop, reason="兑换洗衣液", by=worker)
    mother.refresh_from_db()
    shop.refresh_from_db()
    assert mother.balance == 6 and shop.balance == 4
    issuer = services.community_account(ledger["unit"], PointAccount.Kind.ISSUER)
    assert issuer.balance == -15  # where the points came from
    assert PointTransfer.objects.count() == 3 and services.check_balances() == []
    out = io.StringIO()
    call_command("check_points", stdout=out)
    assert "一致" in out.getvalue()


def test_no_balance_below_zero_and_a_correction_is_a_new_transfer_once(ledger):
    worker, mother, shop = ledger["worker"], ledger["mother"], ledger["shop"]
    given = services.grant(mother, 10, reason="志愿服务", by=worker)
    with pytest.raises(ValidationError) as short:
        services.redeem(mother, 11, shop=shop, reason="兑换", by=worker)
    assert "积分不足：余额 10，需要 11" in str(short.value)
    services.redeem(mother, 7, shop=shop, reason="兑换大米", by=worker)
    with pytest.raises(ValidationError) as below:  # undoing the grant would leave -7
        services.correct(given, reason="重复发放", by=worker)
    assert "积分不足" in str(below.value)
    spent = PointTransfer.objects.get(kind="redeem")
    back = services.correct(spent, reason="商品缺货，退回积分", by=worker)
    assert back.kind == "correct" and back.corrects == spent and back.amount == 7
    with pytest.raises(ValidationError) as twice:
        services.correct(spent, reason="再退一次", by=worker)
    assert "已更正过" in str(twice.value)
    mother.refresh_from_db()
    assert mother.balance == 10 and services.check_balances() == []


def test_points_are_granted_by_a_confirmation_never_by_the_earner(ledger):
    resident = UserFactory(role=User.Role.RESIDENT)
    with pytest.raises(ValidationError) as refused:
        services.grant(ledger["mother"], 100, reason="我自己加分", by=resident)
    assert "不能自己给自己加分" in str(refused.value)
    for bad, message in [(0, "积分应在 1 到"), ("十", "积分应为正整数"), (1_000_000, "积分应在 1 到")]:
        with pytest.raises(ValidationError) as wrong:
            services.grant(ledger["mother"], bad, reason="志愿服务", by=ledger["worker"])
        assert message in str(wrong.value)
    assert not PointTransfer.objects.exists()


def test_a_retried_submission_is_stored_once_and_a_wrong_balance_is_found(ledger):
    worker, mother = ledger["worker"], ledger["mother"]
    first = services.grant(mother, 3, reason="志愿服务", by=worker, client_id="phone-1")
    again = services.grant(mother, 3, reason="志愿服务", by=worker, client_id="phone-1")
    assert first.pk == again.pk and PointTransfer.objects.count() == 1
    PointAccount.objects.filter(pk=mother.pk).update(balance=99)  # as if someone wrote the table by hand
    [wrong] = services.check_balances()
    assert (wrong.balance, wrong.ledger) == (99, 3)
    with pytest.raises(CommandError):
        call_command("check_points", stdout=io.StringIO())
