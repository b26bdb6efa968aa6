"""月结: an hour after a month ends its statements are kept, line by line, from the ledger's entries. The
kept lines equal the statements computed before the close; nothing written later (a correction, a new
holder) changes them; a month not yet ended cannot be closed; closing again closes nothing; the check
command compares the last closed month with the balances."""

import io
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.core.excel import read_rows
from wangge.engagement import services
from wangge.engagement.models import ClosedMonth, MonthLine, PointAccount, PointTransfer
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def _months_ago(n: int):
    month = timezone.localdate().replace(day=1)
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _on(month, day: int) -> datetime:
    return timezone.make_aware(datetime(month.year, month.month, day, 10))


@pytest.fixture
def months(town):
    """A grant three months ago, a redemption and a grant two months ago, each dated there."""
    unit = town.units[0]
    worker = grid_worker(unit)
    _home, (mother, son) = household_with_people(unit, names=("张阿婆", "张小兵"))
    mother_acct, son_acct = services.account_of(person=mother), services.account_of(person=son)
    shop = services.community_account(town.seconds[0], PointAccount.Kind.SHOP)
    third, second = _months_ago(3), _months_ago(2)
    dated = [
        (services.grant(mother_acct, 100, reason="志愿服务", by=worker), _on(third, 5)),
        (services.redeem(mother_acct, 30, shop=shop, reason="兑换大米", by=worker), _on(second, 3)),
        (services.grant(son_acct, 20, reason="隐患上报", by=worker), _on(second, 20)),
    ]
    for made, when in dated:
        PointTransfer.objects.filter(pk=made.pk).update(at=when)
    return {"worker": worker, "mother": mother_acct, "son": son_acct, "third": third, "second": second}


def test_closed_months_keep_the_lines_the_ledger_gave(months, town):
    worker, mother, son = months["worker"], months["mother"], months["son"]
    holders = services.holders_for(grid_worker(town.units[0]))
    before = {m: sorted(services.statements(holders, m)) for m in (months["third"], months["second"])}
    assert services.close_ended_months() >= 2  # the third and second months back (and the last, if ended)
    assert services.close_ended_months() == 0  # once
    assert ClosedMonth.objects.filter(month__in=[months["third"], months["second"]]).count() == 2
    for month, lines in before.items():
        assert sorted(services.statements(holders, month)) == lines
    [line] = [x for x in before[months["second"]] if x.account_id == mother.pk]
    assert (line.opening, line.earned, line.spent, line.other, line.closing) == (100, 0, 30, 0, 70)
    [line] = [x for x in before[months["second"]] if x.account_id == son.pk]
    assert (line.opening, line.earned, line.closing) == (0, 20, 20)

    # written later: a correction (dated now) and a new holder change nothing in a closed month
    grant = PointTransfer.objects.get(credit=son, kind="grant")
    services.correct(grant, reason="重复发放", by=worker)
    _h, (newcomer,) = household_with_people(town.units[0], names=("新居民",))
    services.grant(services.account_of(person=newcomer), 5, reason="志愿服务", by=worker)
    assert sorted(services.statements(holders, months["second"])) == before[months["second"]]
    kept = MonthLine.objects.filter(closed__month=months["second"])
    assert kept.count() == 2 and not kept.filter(account__person=newcomer).exists()
    assert services.closed_month_mismatches() == []
    out = io.StringIO()
    call_command("check_points", stdout=out)
    assert "积分余额、月结与流水一致" in out.getvalue()


def test_a_month_not_ended_cannot_be_closed_and_a_wrong_line_is_found(months):
    with pytest.raises(ValidationError) as early:
        services.close_month(timezone.localdate())
    assert "尚未结束" in str(early.value)
    assert not ClosedMonth.objects.filter(month=timezone.localdate().replace(day=1)).exists()

    # the month before an unclosed month: its opening comes from every entry before it
    closed = services.close_month(months["second"])
    assert ClosedMonth.objects.count() == 1 and closed.holders == 2
    assert services.close_month(months["second"]).pk == closed.pk  # again: the same close
    line = MonthLine.objects.get(closed=closed, account=months["mother"])
    assert (line.opening, line.closing) == (100, 70)
    MonthLine.objects.filter(pk=line.pk).update(closing=71)  # a kept line tampered with
    [(account, kept, ledger)] = services.closed_month_mismatches()
    assert (account, kept, ledger) == (months["mother"].pk, 71, 70)
    with pytest.raises(CommandError):
        call_command("check_points", stdout=io.StringIO())


def test_the_report_page_says_whether_a_month_is_closed_and_exports_every_statement(client, months, town):
    other = staff("community_staff", scope=town.seconds[1])
    client.force_login(other)  # the other village's staff: not this village's statements
    url = reverse("engagement:report")
    asked = {"grid": town.seconds[0].code, "month": f"{months['second']:%Y-%m}", "format": "statements"}
    assert client.get(url, asked).status_code == 404
    client.force_login(staff("community_staff", scope=town.seconds[0]))
    page = client.get(url, {**asked, "format": ""}).content.decode()
    assert "尚未月结" in page
    services.close_month(months["second"])
    assert "已月结" in client.get(url, {**asked, "format": ""}).content.decode()
    head, rows = read_rows(client.get(url, asked).content)
    assert head[0] == "持有人" and head[3:] == ["月初余额", "获得", "兑换", "更正与过期（净）", "月末余额"]
    assert sorted((r[0], *r[3:]) for r in rows) == [
        ("张小兵", 0, 20, 0, 0, 20),
        ("张阿婆", 100, 0, 30, 0, 70),
    ]
