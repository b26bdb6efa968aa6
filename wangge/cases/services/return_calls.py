"""电话回访: staff call back the reporters of closed cases who left a phone, as the 12345 centre does. The
answer is the case's rating (counted in 满意率 like a reporter's own), 不满意 reopens the case as ever;
a reporter not reached is tried again, up to MAX_ATTEMPTS calls, and never counted as rated."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from wangge.audit import services as audit
from wangge.cases import permissions as perms
from wangge.cases.models import Case
from wangge.cases.services.access import _require, visible_cases
from wangge.cases.services.states import A, S
from wangge.cases.services.steps import _step
from wangge.cases.services.workflow import rate
from wangge.core.errors import invalid
from wangge.core.phrases import phrase

UNREACHABLE = "unreachable"
OUTCOMES_N = {
    Case.Rating.SATISFIED.value: gettext_noop("满意"),
    Case.Rating.BASIC.value: gettext_noop("基本满意"),
    Case.Rating.UNSATISFIED.value: gettext_noop("不满意"),
    UNREACHABLE: gettext_noop("联系不上"),
}
OUTCOMES = {k: gettext_lazy(v) for k, v in OUTCOMES_N.items()}
MAX_ATTEMPTS = 3


def return_calls_due(user) -> QuerySet[Case]:
    """Closed cases (solved or explained as unsolvable) whose reporter left a phone and has not rated
    them, with fewer than MAX_ATTEMPTS calls so far; the longest closed first."""
    return (
        visible_cases(user)
        .filter(status=S.CLOSED, outcome__in=[Case.Outcome.SOLVED, Case.Outcome.UNSOLVABLE], rating="")
        .exclude(reporter_phone="")
        .annotate(calls=Count("events", filter=Q(events__action=A.RETURN_CALL)))
        .filter(calls__lt=MAX_ATTEMPTS)
        .select_related("category")
        .order_by("closed_at", "pk")
    )


def phone_to_call(case: Case, *, by) -> str:
    """The reporter's phone in full, for the call: audited like every unmasking."""
    _require(by, perms.RETURN_CALL, case)
    audit.record(
        audit.Action.VIEW_SENSITIVE,
        actor=by,
        obj=case,
        object_repr=case.code,
        detail={"field": "reporter_phone", "reason": "电话回访"},
    )
    return case.reporter_phone


@transaction.atomic
def return_call(case: Case, *, by, outcome: str, comment: str = "") -> Case:
    """The call's outcome: satisfied / basic / unsatisfied rate the case (unsatisfied reopens it, with
    the reason); unreachable is kept as an attempt."""
    _require(by, perms.RETURN_CALL, case)
    if not return_calls_due(by).filter(pk=case.pk).exists():
        raise invalid(
            "status", _("该事件不需要电话回访（未办结、已评价、没有电话或已回访三次）"), "wrong_state"
        )
    if outcome not in OUTCOMES:
        raise invalid("reason", _("请选择回访结果：满意、基本满意、不满意或联系不上"), "invalid")
    comment = (comment or "").strip()
    said = phrase("%(o)s：%(c)s", o=OUTCOMES[outcome], c=comment) if comment else phrase(OUTCOMES_N[outcome])
    _step(case, A.RETURN_CALL, by, comment=said)
    if outcome == UNREACHABLE:
        return case
    return rate(case, rating=outcome, comment=comment, by=by)
