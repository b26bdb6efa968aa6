"""The points ledger (积分): grant, redeem, correct, and the check that every balance equals its ledger.
Points are granted by a confirmation (an organiser, a worker), never by the earner: a resident's account
cannot grant.

A transfer locks its two accounts (in id order, so two transfers never wait on each other crosswise:
row locks on PostgreSQL, the write lock on SQLite), checks the debited balance, writes the entry pair and
moves both balances in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Sum, When
from django.utils.translation import gettext as _

from wangge.core import idempotency
from wangge.core.errors import invalid
from wangge.engagement.models import PointAccount, PointTransfer

A = PointAccount.Kind
T = PointTransfer.Kind
MOST_AT_ONCE = 100_000  # points in one transfer


def account_of(*, person=None, household=None) -> PointAccount:
    """A resident's or a household's account (made on first use), in their grid."""
    if (person is None) == (household is None):
        raise ValueError("a person or a household")
    if person is not None:
        found, _made = PointAccount.objects.get_or_create(
            person=person, defaults={"kind": A.PERSON, "grid_id": person.grid_id}
        )
    else:
        found, _made = PointAccount.objects.get_or_create(
            household=household, defaults={"kind": A.HOUSEHOLD, "grid_id": household.grid_id}
        )
    return found


def community_account(grid, kind: str) -> PointAccount:
    """A grid's issuing, shop or expiry account (one of each per grid)."""
    if kind not in (A.ISSUER, A.SHOP, A.EXPIRED):
        raise ValueError(kind)
    found, _made = PointAccount.objects.get_or_create(grid=grid, kind=kind)
    return found


def _amount(raw) -> int:
    try:
        amount = int(raw)
    except (TypeError, ValueError):
        raise invalid("amount", _("积分应为正整数"), "invalid") from None
    if not 1 <= amount <= MOST_AT_ONCE:
        raise invalid("amount", _("积分应在 1 到 %(n)s 之间") % {"n": MOST_AT_ONCE}, "out_of_range")
    return amount


def transfer(
    kind: str,
    *,
    debit: PointAccount,
    credit: PointAccount,
    amount,
    reason: str,
    by,
    corrects: PointTransfer | None = None,
    client_id: str = "",
    rule: str = "",
    source: str = "",
    check: Callable[[PointAccount], None] | None = None,
) -> PointTransfer:
    """One entry pair. The same client id from the same sender is stored once. `check` sees the credited
    account once both are locked (an earning rule's limit is counted there, so two grants at once cannot
    both pass it)."""
    amount = _amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("请填写事由"), "required")
    sender = idempotency.sender(by)
    if first := idempotency.sent_before(PointTransfer.objects, client_id, sender):
        return first
    try:
        with transaction.atomic():
            ids = sorted({debit.pk, credit.pk})
            locked = {
                a.pk: a for a in PointAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
            }
            made = move_locked(
                kind,
                debit=locked[debit.pk],
                credit=locked[credit.pk],
                amount=amount,
                reason=reason,
                by=by,
                corrects=corrects,
                rule=rule,
                source=source,
                check=check,
                **idempotency.keyed(client_id, sender),
            )
            # the callers' objects show the new balances (read under the lock, so they are current)
            debit.balance, credit.balance = locked[debit.pk].balance, locked[credit.pk].balance
            return made
    except IntegrityError:
        if first := idempotency.sent_before(PointTransfer.objects, client_id, sender):
            return first
        raise


def move_locked(
    kind: str,
    *,
    debit: PointAccount,
    credit: PointAccount,
    amount: int,
    reason: str,
    by,
    corrects: PointTransfer | None = None,
    rule: str = "",
    source: str = "",
    check: Callable[[PointAccount], None] | None = None,
    **keyed,
) -> PointTransfer:
    """The entry pair inside the caller's transaction, both accounts already locked (their rows as read
    under the lock): the balance checked, the transfer written, both balances moved in one UPDATE."""
    if debit.kind in (A.PERSON, A.HOUSEHOLD) and debit.balance < amount:
        short = _("积分不足：余额 %(b)s，需要 %(n)s") % {"b": debit.balance, "n": amount}
        raise invalid("amount", short, "out_of_range")
    if check is not None:
        check(credit)
    made = PointTransfer.objects.create(
        kind=kind,
        debit=debit,
        credit=credit,
        amount=amount,
        reason=reason[:200],
        by=by,
        corrects=corrects,
        rule=rule,
        source=source[:64],
        **keyed,
    )
    PointAccount.objects.filter(pk__in=[debit.pk, credit.pk]).update(
        balance=Case(When(pk=debit.pk, then=F("balance") - amount), default=F("balance") + amount)
    )
    debit.balance -= amount
    credit.balance += amount
    return made


def grant(
    account: PointAccount,
    amount,
    *,
    reason: str,
    by,
    client_id: str = "",
    rule: str = "",
    source: str = "",
    check: Callable[[PointAccount], None] | None = None,
) -> PointTransfer:
    """Points confirmed by an organiser or a worker, from the account's grid's issuing account."""
    if getattr(by, "role", "") == "resident":
        raise invalid("by", _("积分须由组织者或网格员确认发放，不能自己给自己加分"), "not_allowed")
    if account.kind not in (A.PERSON, A.HOUSEHOLD):
        raise invalid("account", _("只能给居民或家庭户发放积分"), "invalid")
    issuer = community_account(account.grid, A.ISSUER)
    return transfer(
        T.GRANT,
        debit=issuer,
        credit=account,
        amount=amount,
        reason=reason,
        by=by,
        client_id=client_id,
        rule=rule,
        source=source,
        check=check,
    )


def redeem(
    account: PointAccount, amount, *, shop: PointAccount, reason: str, by, client_id: str = ""
) -> PointTransfer:
    """Points spent at a shop: never more than the balance."""
    if shop.kind != A.SHOP:
        raise invalid("shop", _("请选择积分超市"), "invalid")
    return transfer(
        T.REDEEM, debit=account, credit=shop, amount=amount, reason=reason, by=by, client_id=client_id
    )


def correct(mistake: PointTransfer, *, reason: str, by) -> PointTransfer:
    """Undo a transfer with a new one the other way (the ledger keeps both); once, and never below zero."""
    if mistake.kind == T.CORRECT:
        raise invalid("transfer", _("更正记录不能再更正，请重新发放或兑换"), "wrong_state")
    if PointTransfer.objects.filter(corrects=mistake).exists():
        raise invalid("transfer", _("该记录已更正过"), "closed")
    try:
        return transfer(
            T.CORRECT,
            debit=mistake.credit,
            credit=mistake.debit,
            amount=mistake.amount,
            reason=reason,
            by=by,
            corrects=mistake,
        )
    except IntegrityError:  # corrected at the same moment elsewhere (one correction per transfer)
        raise invalid("transfer", _("该记录已更正过"), "closed") from None


@dataclass
class Mismatch:
    account: PointAccount
    balance: int
    ledger: int


def check_balances() -> list[Mismatch]:
    """Every account whose kept balance differs from its credits less its debits (none, always)."""
    credits = dict(PointTransfer.objects.values_list("credit").annotate(n=Sum("amount")).order_by())
    debits = dict(PointTransfer.objects.values_list("debit").annotate(n=Sum("amount")).order_by())
    found = []
    for account in PointAccount.objects.order_by("pk"):
        ledger = credits.get(account.pk, 0) - debits.get(account.pk, 0)
        if ledger != account.balance:
            found.append(Mismatch(account, account.balance, ledger))
    return found
