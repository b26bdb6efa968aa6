"""Enter once: a case of a dispute category (邻里纠纷, 家庭矛盾…) is the same dispute the mediation register
keeps. It goes there in one step (or is linked to the dispute already recorded), and the mediation's
outcome closes the case: one record, counted once in the monthly dispute report."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import permissions as perms
from wangge.cases.models import Case
from wangge.cases.services.access import is_handler, visible_cases
from wangge.cases.services.deadlines import _start_stage
from wangge.cases.services.notices import _tell_reporter
from wangge.cases.services.states import OPEN, A, S
from wangge.cases.services.steps import _move, _step
from wangge.core.errors import invalid
from wangge.core.phrases import phrase
from wangge.mediation import services as mediation

DISPUTE_RISKS = mediation.RISKS


def is_dispute(case: Case) -> bool:
    return bool(case.category.dispute_kind)


def dispute_of(case: Case):
    return mediation.dispute_of_case(case.code)


def _may_refer(case: Case, by) -> None:
    if not is_dispute(case):
        raise invalid("category", _("“%(c)s”不是矛盾纠纷类事件") % {"c": case.category.name}, "not_allowed")
    if not case.is_open:
        raise invalid("status", _("事件已办结"), "closed")
    if not (
        is_handler(by, case)
        or (by.has_perm(perms.ACCEPT) and visible_cases(by, one=True).filter(pk=case.pk).exists())
    ):
        raise PermissionDenied(_("只有承办人或受理人可以将事件转入调解"))


@transaction.atomic
def open_dispute(case: Case, *, by, parties: list[str], risk: str = "low", party_id_numbers=()):
    """转入矛盾纠纷调解: the dispute made from the case (its place, summary, grid, the day it was reported),
    with the parties the worker names; one step, nothing typed twice."""
    _may_refer(case, by)
    dispute = mediation.record(
        mediation.DisputeIn(
            grid=case.grid_id or case.handler_grid_id or 0,
            kind=case.category.dispute_kind,
            summary=case.description[:255],
            place=case.address,
            parties=list(parties),
            party_id_numbers=list(party_id_numbers),
            risk=risk,
            found_on=timezone.localdate(case.created),
            case_code=case.code,
        ),
        by=by,
    )
    _step(case, A.DISPUTE, by, comment=phrase("转入矛盾纠纷调解，纠纷编号 %(n)s", n=dispute.pk))
    return dispute


@transaction.atomic
def link_dispute(case: Case, *, by, dispute_id: int):
    """关联已登记的纠纷: the worker had recorded it in the register before the case came in."""
    _may_refer(case, by)
    dispute = mediation.disputes_for(by).filter(pk=dispute_id).first()
    if dispute is None:
        raise invalid("dispute", _("在您辖区的矛盾纠纷台账中找不到这起纠纷"), "not_found")
    _step(case, A.DISPUTE, by, comment=phrase("关联矛盾纠纷，纠纷编号 %(n)s", n=dispute.pk))
    mediation.link_case(dispute, case.code, by=by)  # a dispute already decided closes the case now
    return dispute


def close_by_dispute(sender, *, dispute, by, **kwargs) -> None:
    """The mediation's outcome closes the case it came in as: agreed (or partly) is solved, a failed
    mediation that sent the parties on (court, arbitration) is closed as not solvable here, with the
    explanation. The reporter hears of it, and rates it, as after any other close."""
    if not dispute.case_code:
        return
    case = Case.objects.select_for_update().filter(code=dispute.case_code, status__in=OPEN).first()
    if case is None:
        return
    solved = dispute.status != mediation.S.FAILED
    answer = dispute.outcome + (f"（{dispute.referred_to}）" if dispute.referred_to else "")
    _move(case, S.CLOSED)
    case.outcome = Case.Outcome.SOLVED if solved else Case.Outcome.UNSOLVABLE
    case.answer, case.closed_at = answer[:1000], timezone.now()
    case.rating = case.rating_comment = ""
    _start_stage(case, case.closed_at)
    case.save()
    _step(
        case,
        A.DISPUTE_OUTCOME,
        by,
        comment=phrase("%(r)s：%(c)s", r=mediation.S(dispute.status).label, c=answer),
    )
    _tell_reporter(
        case,
        f"case:{case.pk}:dispute:{dispute.pk}",
        phrase("您反映的纠纷已调解办结，请评价：%(a)s", a=answer[:60]),
    )
