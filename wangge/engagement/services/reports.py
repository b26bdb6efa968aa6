"""What the ledger tells: a holder's monthly statement (对账单), every holder's statement for a month at once,
and a community's monthly report of points granted, redeemed and outstanding and of goods in and out.

A month's opening and closing balances come from the kept balance less what moved since: only the
entries from the month's first day on are read, however long the ledger is. An hour after a month ends
the worker closes it (月结, `close_ended_months`): every holder's line is kept, and the month's statements
are read from those lines from then on, whatever came after. Entries are dated when they are written
(a correction is a new entry dated now), so nothing moves in a closed month again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.bulk import insert_rows
from wangge.core.dates import next_month
from wangge.core.errors import invalid
from wangge.engagement.models import ClosedMonth, Goods, MonthLine, PointAccount, PointTransfer, StockMove
from wangge.engagement.services.ledger import A, T
from wangge.grids import services as grids
from wangge.grids.jurisdiction import visible
from wangge.grids.models import Grid

# a month is closed this long after it ends: a transfer begun in its last second has committed by then
CLOSE_AFTER = timedelta(hours=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(next_month(first), time.min))
    return start, end


def holders_for(user) -> QuerySet[PointAccount]:
    """The person and household accounts in the user's jurisdiction."""
    return visible(PointAccount.objects.filter(kind__in=[A.PERSON, A.HOUSEHOLD]), user)


def _moved_since(account_ids, since: datetime) -> dict[int, int]:
    """Net points each account gained from `since` on (credits less debits)."""
    net: dict[int, int] = {}
    entries = PointTransfer.objects.filter(at__gte=since)
    if account_ids is not None:
        credits = entries.filter(credit__in=account_ids)
        debits = entries.filter(debit__in=account_ids)
    else:
        credits = debits = entries
    for pk, n in credits.values_list("credit").annotate(n=Sum("amount")).order_by():
        net[pk] = net.get(pk, 0) + n
    for pk, n in debits.values_list("debit").annotate(n=Sum("amount")).order_by():
        net[pk] = net.get(pk, 0) - n
    return net


@dataclass
class Statement:
    account: PointAccount
    month: date
    opening: int
    earned: int
    spent: int
    corrected: int  # net of corrections (+ back to the holder, - taken from them)
    closing: int
    entries: list[PointTransfer] = field(default_factory=list)


def statement(account: PointAccount, month: date) -> Statement:
    """One holder's month: opening balance, every entry, closing balance."""
    start, end = month_bounds(month)
    since = _moved_since([account.pk], start).get(account.pk, 0)
    after = _moved_since([account.pk], end).get(account.pk, 0)
    entries = list(
        PointTransfer.objects.filter(Q(credit=account) | Q(debit=account), at__gte=start, at__lt=end)
        .select_related("by").order_by("at", "pk")
    )  # fmt: skip
    earned = sum(e.amount for e in entries if e.kind == T.GRANT and e.credit_id == account.pk)
    spent = sum(e.amount for e in entries if e.kind == T.REDEEM and e.debit_id == account.pk)
    corrected = sum(
        (e.amount if e.credit_id == account.pk else -e.amount) for e in entries if e.kind == T.CORRECT
    )
    expired = sum(e.amount for e in entries if e.kind == T.EXPIRE and e.debit_id == account.pk)
    balance = PointAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
    closing, opening = balance - after, balance - since
    assert opening + earned - spent + corrected - expired == closing  # noqa: S101 (the ledger's own sum)
    return Statement(account, month.replace(day=1), opening, earned, spent, corrected, closing, entries)


class StatementLine(NamedTuple):
    account_id: int
    opening: int
    earned: int
    spent: int
    other: int  # corrections and expiries, net
    closing: int


LINE_FIELDS = ("account_id", "opening", "earned", "spent", "other", "closing")


def statements(holders: QuerySet[PointAccount], month: date) -> list[StatementLine]:
    """Every holder's month: a closed month's kept lines (the holders that existed when it closed), or,
    for a month not closed yet, the lines computed from the ledger."""
    closed = closed_month(month)
    if closed is None:
        return _computed_lines(holders, month)
    lines = MonthLine.objects.filter(closed=closed, account__in=holders.values("pk"))
    return [StatementLine._make(row) for row in lines.values_list(*LINE_FIELDS).order_by()]


def _computed_lines(holders: QuerySet[PointAccount], month: date) -> list[StatementLine]:
    """Every holder's month from two aggregates of the entries since the month began (credits, debits),
    and each holder's kept balance; a holder nothing moved for since has one line of its balance."""
    start, end = month_bounds(month)
    ids = holders.values("pk")
    since: dict[int, list[int]] = {}  # account: [net since start, net after end, earned, spent]
    entries = PointTransfer.objects.filter(at__gte=start)
    # the holders' ids in the SQL only where they are a small part of all: for most of the ledger, one
    # scan of the month's entries and a dictionary look-up cost less than the IN over 100,000 ids (measured)
    if holders.count() * 2 < PointAccount.objects.filter(kind__in=[A.PERSON, A.HOUSEHOLD]).count():
        entries = entries.filter(Q(credit__in=ids) | Q(debit__in=ids))
    # credits carry the month's grants, debits its redemptions: three sums a side
    for side, sign, kind in (("credit", 1, T.GRANT), ("debit", -1, T.REDEEM)):
        rows = (
            entries.values_list(side)
            .annotate(
                moved=Sum("amount"),
                after=Sum("amount", filter=Q(at__gte=end)),
                flow=Sum("amount", filter=Q(kind=kind, at__lt=end)),
            ).order_by()
        )  # fmt: skip
        for pk, moved, after, flow in rows:
            s = since.setdefault(pk, [0, 0, 0, 0])
            s[0] += sign * moved
            s[1] += sign * (after or 0)
            s[2 if sign > 0 else 3] += flow or 0
    lines = []
    for pk, balance in holders.values_list("pk", "balance").order_by():
        if pk not in since:
            lines.append(StatementLine(pk, balance, 0, 0, 0, balance))
            continue
        moved, after, earned, spent = since[pk]
        opening, closing = balance - moved, balance - after
        lines.append(StatementLine(pk, opening, earned, spent, closing - opening - earned + spent, closing))
    return lines


def all_holders() -> QuerySet[PointAccount]:
    return PointAccount.objects.filter(kind__in=[A.PERSON, A.HOUSEHOLD])


def closed_month(month: date) -> ClosedMonth | None:
    """The month's close (月结), if it is closed."""
    return ClosedMonth.objects.filter(month=month.replace(day=1)).first()


def close_month(month: date) -> ClosedMonth:
    """月结: keep every holder's line of a month that ended at least an hour ago (once; closing it again
    returns the first close). The lines come from entries only, all of them committed by then, never from
    the kept balances, which move while this runs: the opening is the month before's closing where that
    month is closed (else the sum of every entry before the month), the rest is the month's own entries."""
    first = month.replace(day=1)
    start, end = month_bounds(first)
    if timezone.now() < end + CLOSE_AFTER:
        early = _("%(m)s 尚未结束，月末一小时后才能月结") % {"m": f"{first:%Y-%m}"}
        raise invalid("month", early, "wrong_state")
    with transaction.atomic():
        closed, made = ClosedMonth.objects.get_or_create(month=first)
        if not made:
            return closed
        before = ClosedMonth.objects.filter(month=(first - timedelta(days=1)).replace(day=1)).first()
        if before is not None:
            opening = dict(MonthLine.objects.filter(closed=before).values_list("account_id", "closing"))
        else:
            opening = _net(PointTransfer.objects.filter(at__lt=start))
        month_entries = PointTransfer.objects.filter(at__gte=start, at__lt=end)
        moved = _net(month_entries)
        earned = _sums(month_entries.filter(kind=T.GRANT), "credit")
        spent = _sums(month_entries.filter(kind=T.REDEEM), "debit")
        rows = []
        for pk in all_holders().values_list("pk", flat=True).order_by("pk"):
            o, m, e, x = opening.get(pk, 0), moved.get(pk, 0), earned.get(pk, 0), spent.get(pk, 0)
            rows.append((closed.pk, pk, o, e, x, m - e + x, o + m))
        insert_rows(MonthLine, ("closed_id", *LINE_FIELDS), rows)
        closed.holders = len(rows)
        closed.save(update_fields=["holders"])
    return closed


def _sums(entries: QuerySet[PointTransfer], side: str) -> dict[int, int]:
    return dict(entries.values_list(side).annotate(n=Sum("amount")).order_by())


def _net(entries: QuerySet[PointTransfer]) -> dict[int, int]:
    """Each account's credits less its debits over the entries."""
    net = _sums(entries, "credit")
    for pk, n in _sums(entries, "debit").items():
        net[pk] = net.get(pk, 0) - n
    return net


def closed_month_mismatches() -> list[tuple[int, int, int]]:
    """(account, closing kept, closing by the ledger) for every holder of the last closed month whose kept
    closing differs from its balance less what moved since the month ended (none, always)."""
    closed = ClosedMonth.objects.order_by("-month").first()
    if closed is None:
        return []
    _start, end = month_bounds(closed.month)
    kept = MonthLine.objects.filter(closed=closed).values_list("account_id", "account__balance", "closing")
    since = _net(PointTransfer.objects.filter(at__gte=end))
    return [(pk, closing, b - since.get(pk, 0)) for pk, b, closing in kept if closing != b - since.get(pk, 0)]


def close_ended_months() -> int:
    """Close every month from the ledger's first entry to the last one that ended an hour ago and is not
    closed yet, oldest first; how many were closed. Idempotent: the worker runs it hourly."""
    first = PointTransfer.objects.aggregate(at=Min("at"))["at"]
    if first is None:
        return 0
    month = timezone.localtime(first).date().replace(day=1)
    closed = set(ClosedMonth.objects.values_list("month", flat=True))
    done = 0
    while month_bounds(month)[1] + CLOSE_AFTER <= timezone.now():
        if month not in closed:
            close_month(month)
            done += 1
        month = next_month(month)
    return done


@dataclass
class CommunityMonth:
    grid: Grid
    month: date
    granted: int
    redeemed: int
    corrected: int
    outstanding: int  # what the grid's holders held at the month's end
    holders: int
    by_rule: list[tuple[str, int]]
    goods: list[dict]  # per goods: name, in, out (redeemed), written off, stock at the month's end


def community_month(grid: Grid, month: date) -> CommunityMonth:
    """积分月报: a community's (any grid's subtree) points and goods in one month."""
    start, end = month_bounds(month)
    holders = PointAccount.objects.filter(kind__in=[A.PERSON, A.HOUSEHOLD], grid__in=grids.subtree_ids(grid))
    month_entries = PointTransfer.objects.filter(at__gte=start, at__lt=end)
    granted = month_entries.filter(kind=T.GRANT, credit__in=holders.values("pk"))
    redeemed = month_entries.filter(kind=T.REDEEM, debit__in=holders.values("pk"))
    corrections = month_entries.filter(kind=T.CORRECT)
    back = corrections.filter(credit__in=holders.values("pk")).aggregate(n=Sum("amount"))["n"] or 0
    taken = corrections.filter(debit__in=holders.values("pk")).aggregate(n=Sum("amount"))["n"] or 0
    held = holders.aggregate(n=Sum("balance"))["n"] or 0
    after = sum(_moved_since(holders.values("pk"), end).values())
    by_rule = list(granted.values_list("rule").annotate(n=Sum("amount")).order_by("-n"))
    goods = []
    shop_goods = Goods.objects.filter(shop__grid__in=grids.subtree_ids(grid)).order_by("shop", "name")
    moves = StockMove.objects.filter(goods__in=shop_goods)
    later = dict(moves.filter(at__gte=end).values_list("goods").annotate(n=Sum("quantity")).order_by())
    in_month = moves.filter(at__gte=start, at__lt=end)
    for g in shop_goods.select_related("shop"):
        kinds = dict(in_month.filter(goods=g).values_list("kind").annotate(n=Sum("quantity")).order_by())
        goods.append({
            "goods": g,
            "in": (kinds.get(StockMove.Kind.DONATED, 0) + kinds.get(StockMove.Kind.BOUGHT, 0)
                   + kinds.get(StockMove.Kind.RETURNED, 0)),
            "out": -kinds.get(StockMove.Kind.REDEEMED, 0),
            "written_off": -kinds.get(StockMove.Kind.WRITTEN_OFF, 0),
            "stock": g.stock - later.get(g.pk, 0),
        })  # fmt: skip
    return CommunityMonth(
        grid=grid, month=month.replace(day=1),
        granted=granted.aggregate(n=Sum("amount"))["n"] or 0,
        redeemed=redeemed.aggregate(n=Sum("amount"))["n"] or 0,
        corrected=back - taken, outstanding=held - after, holders=holders.count(),
        by_rule=by_rule, goods=goods,
    )  # fmt: skip
