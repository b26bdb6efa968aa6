"""Earning points by the scene's rules (scene section `points`): a worker or an organiser confirms what a
resident or a household did, or another module reports what it confirmed (a resident's report accepted
as real: `report_confirmed`). A rule's limit per month or year is counted under the account's row lock;
a cause (`source`) earns once."""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import invalid
from wangge.engagement import scene
from wangge.engagement.models import PointAccount, PointTransfer
from wangge.engagement.services.ledger import A, T, account_of, grant
from wangge.registry import services as registry


def period_start(rule: scene.EarningRule, on: date) -> datetime:
    first = on.replace(day=1) if rule.period == "month" else on.replace(month=1, day=1)
    return timezone.make_aware(datetime.combine(first, time.min))


def earned(account: PointAccount, rule: scene.EarningRule, on: date | None = None) -> int:
    """Points this rule gave the account in its period, corrections taken off."""
    since = period_start(rule, on or timezone.localdate())
    given = PointTransfer.objects.filter(credit=account, rule=rule.key, kind=T.GRANT, at__gte=since)
    taken = PointTransfer.objects.filter(debit=account, kind=T.CORRECT, corrects__rule=rule.key,
                                         corrects__at__gte=since)  # fmt: skip
    total = given.aggregate(n=Sum("amount"))["n"] or 0
    return total - (taken.aggregate(n=Sum("amount"))["n"] or 0)


def rule_or_refuse(key: str) -> scene.EarningRule:
    rule = scene.rules().get(key)
    if rule is None:
        names = "、".join(f"{r.name}（{r.key}）" for r in scene.rules().values())
        raise invalid(
            "rule", _("没有积分规则“%(k)s”，可用：%(names)s") % {"k": key, "names": names}, "unknown"
        )
    return rule


def holder_account(rule: scene.EarningRule, *, person=None, household=None) -> PointAccount:
    """The account a rule pays: a household rule pays the person's household."""
    if rule.holder == "household":
        household = household or (person.household if person is not None else None)
        if household is None:
            raise invalid("household", _("“%(r)s”按户计分，请选择家庭户") % {"r": rule.name}, "required")
        return account_of(household=household)
    if person is None:
        raise invalid("person", _("“%(r)s”按人计分，请选择居民") % {"r": rule.name}, "required")
    return account_of(person=person)


def earn(key: str, *, by, person=None, household=None, quantity=1, detail: str = "", source: str = "",
         client_id: str = "") -> PointTransfer:  # fmt: skip
    """Grant a rule's points (times `quantity`: hours, months) to a person or their household, within its
    limit; a refusal in Chinese says how many are left."""
    rule = rule_or_refuse(key)
    try:
        quantity = float(quantity)
    except (TypeError, ValueError):
        raise invalid("quantity", _("数量应为数字"), "invalid") from None
    if not 0 < quantity <= 1000:
        raise invalid("quantity", _("数量应大于 0、不超过 1000"), "out_of_range")
    amount = round(rule.points * quantity)
    if amount < 1:
        raise invalid("quantity", _("数量太小，不足 1 分"), "out_of_range")
    account = holder_account(rule, person=person, household=household)

    def within_limit(locked: PointAccount) -> None:
        if not rule.limit:
            return
        left = rule.limit - earned(locked, rule)
        if amount > left:
            span = _("本月") if rule.period == "month" else _("本年")
            raise invalid("quantity", _("“%(r)s”%(span)s最多 %(limit)s 分，还可发 %(left)s 分，本次 %(n)s 分")
                          % {"r": rule.name, "span": span, "limit": rule.limit, "left": max(left, 0),
                             "n": amount}, "too_many")  # fmt: skip

    reason = rule.name + (f"：{detail.strip()}" if detail.strip() else "")
    if quantity != 1:
        reason += f"（{quantity:g}{rule.unit}）"
    try:
        return grant(account, amount, reason=reason, by=by, client_id=client_id, rule=rule.key,
                     source=source, check=within_limit)  # fmt: skip
    except IntegrityError:
        if source and PointTransfer.objects.filter(credit=account, rule=rule.key, source=source).exists():
            raise invalid("source", _("这件事已经发过积分"), "taken") from None
        raise


def earn_for_report(*, reporter, category_key: str, case_code: str, by) -> PointTransfer | None:
    """A resident's report accepted as real earns `report_confirmed`, when the scene has that rule, the
    category is among its categories, the reporter is in the register and the limit allows: otherwise
    nothing (the case goes on either way)."""
    rule = scene.rules().get("report_confirmed")
    if rule is None or reporter is None or getattr(reporter, "role", "") != "resident":
        return None
    if rule.categories and category_key not in rule.categories:
        return None
    person = registry.person_of_user(reporter)
    if person is None:
        return None
    account = holder_account(rule, person=person, household=person.household)
    source = f"case:{case_code}"
    if PointTransfer.objects.filter(credit=account, rule=rule.key, source=source).exists():
        return None
    if rule.limit and earned(account, rule) + rule.points > rule.limit:
        return None
    try:
        return earn(rule.key, by=by, person=person, household=person.household, detail=case_code,
                    source=source)  # fmt: skip
    except (ValidationError, IntegrityError):  # the limit reached at the same moment: the case goes on
        return None


def holders_of(person) -> list[PointAccount]:
    """A resident's own accounts: their person account and their household's."""
    found = [account_of(person=person)]
    if person.household_id:
        found.append(account_of(household=person.household))
    return found


def is_holder(account: PointAccount) -> bool:
    return account.kind in (A.PERSON, A.HOUSEHOLD)
