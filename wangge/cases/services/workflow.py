"""The workflow verbs, and `perform`, one step by name."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Department
from wangge.cases import permissions as perms
from wangge.cases.calendar import WorkTime
from wangge.cases.models import Case, CaseEvent
from wangge.cases.services.access import _from, _need, _require, visible_cases
from wangge.cases.services.deadlines import _start_stage
from wangge.cases.services.notices import _tell_reporter, _tell_unit
from wangge.cases.services.routing import route
from wangge.cases.services.states import OPEN, OPEN_NOW, A, S
from wangge.cases.services.steps import _move, _step
from wangge.core.errors import invalid
from wangge.core.phrases import Phrase, phrase
from wangge.engagement import services as engagement
from wangge.grids import coords
from wangge.grids import services as grids
from wangge.grids.models import Grid
from wangge.registry import services as registry

log = logging.getLogger(__name__)


@transaction.atomic
def place(case: Case, *, by, lon: float, lat: float, crs: str = "wgs84") -> Case:
    """人工定位: a person puts a case that came without a usable place (a 12345 address that did not
    match) on the map; it is then located and routed as if it had come with the point."""

    _require(by, perms.ACCEPT, case)
    if not case.is_open or case.status not in (S.REPORTED, S.ACCEPTED):
        raise invalid("status", _("只有待受理或待派遣的事件可以重新定位"), "wrong_state")
    if crs not in coords.CRS_CHOICES or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise invalid("lon", _("坐标无效"), "invalid")
    lon, lat = coords.to_wgs84(lon, lat, crs)
    r = route(case.category, lon, lat)
    if r.grid_id is None:
        raise invalid("lon", _("该位置不在任何网格内"), "outside")
    case.lon, case.lat, case.grid_id = lon, lat, r.grid_id
    case.handler_grid_id, case.handler_department_id = r.handler_grid_id, r.handler_department_id
    case.save()
    _step(
        case, A.PLACE, by, comment=r.reason, to_grid=r.handler_grid_id, to_department=r.handler_department_id
    )
    _tell_unit(
        case,
        f"case:{case.pk}:placed",
        phrase("新事件待处理：%(code)s %(c)s", code=case.code, c=case.category.name),
        grid=r.grid_id,
    )
    return case


@transaction.atomic
def accept(case: Case, *, by, comment: str | Phrase = "") -> Case:
    _require(by, perms.ACCEPT, case)
    _from(case, S.REPORTED)
    _move(case, S.ACCEPTED)
    case.accepted_at = timezone.now()
    _start_stage(case, case.accepted_at)
    case.save()
    _step(case, A.ACCEPT, by, comment=comment)
    if by is not None and case.reporter_id:  # a resident's report found real earns points (scene `points`)
        engagement.earn_for_report(reporter=case.reporter, category_key=case.category.key,
                                   case_code=case.code, by=by)  # fmt: skip
    return case


REJECT_REASONS = {
    "not_ours": "不属于受理范围",
    "duplicate": "重复反映",
    "insufficient": "信息不全，无法办理",
}


@transaction.atomic
def reject(case: Case, *, by, reason: str, comment: str) -> Case:
    _require(by, perms.ACCEPT, case)
    _from(case, S.REPORTED, S.ACCEPTED)
    if reason not in REJECT_REASONS:
        raise invalid("reason", _("请选择不予受理的原因"), "required")
    comment = _need(comment, _("不予受理的说明"))
    _move(case, S.REJECTED)
    case.answer = f"{REJECT_REASONS[reason]}：{comment}"
    case.closed_at = timezone.now()
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.REJECT, by, comment=case.answer)
    _tell_reporter(
        case,
        f"case:{case.pk}:rejected",
        phrase("您反映的问题未予受理：%(a)s", a=case.answer[:60]),
    )
    return case


@transaction.atomic
def dispatch(
    case: Case,
    *,
    by,
    to_grid: Grid | None = None,
    to_department: Department | None = None,
    comment: str | Phrase = "",
) -> Case:
    """派遣 to the responsible unit (by default the one routing chose)."""
    _require(by, perms.ACCEPT, case)
    _from(case, S.ACCEPTED)
    if to_grid is None and to_department is None:
        to_grid, to_department = case.handler_grid, case.handler_department
    if to_grid is None and to_department is None:
        raise invalid("to", _("请选择承办网格或部门"), "required")
    now = timezone.now()
    _move(case, S.DISPATCHED)
    case.handler_grid, case.handler_department = (None, to_department) if to_department else (to_grid, None)
    case.dispatched_at = now
    case.returned_until = WorkTime.around(now).add(now, settings.CASE_RETURN_LIMIT) if to_department else None
    _start_stage(case, now)
    case.due_at = case.stage_due_at
    case.save()
    _step(
        case,
        A.DISPATCH,
        by,
        comment=comment,
        to_grid=case.handler_grid,
        to_department=case.handler_department,
    )
    _tell_unit(
        case,
        f"case:{case.pk}:dispatch:{now.timestamp()}",
        phrase("派遣给您的事件：%(code)s %(c)s", code=case.code, c=case.category.name),
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


@transaction.atomic
def return_case(case: Case, *, by, comment: str) -> Case:
    """退回: a department gives back a misrouted case within the return window."""
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    if not case.handler_department_id:
        raise invalid("status", _("只有派给部门的事件可以退回"), "wrong_state")
    if case.returned_until and timezone.now() > case.returned_until:
        raise invalid(
            "status",
            _("已超过可退回期限（%(limit)s），请办理或联系中心") % {"limit": settings.CASE_RETURN_LIMIT},
            "out_of_range",
        )
    comment = _need(comment, _("退回理由"))
    department = case.handler_department
    _move(case, S.ACCEPTED)
    case.handler_department, case.handler_grid = (
        None,
        grids.roots().order_by("path").first() if case.grid is None else _top_of(case),
    )
    now = timezone.now()
    _start_stage(case, now)
    case.save()
    _step(case, A.RETURN, by, comment=comment, to_grid=case.handler_grid)
    _tell_unit(
        case,
        f"case:{case.pk}:return:{now.timestamp()}",
        phrase("%(d)s 退回事件：%(c)s", d=department, c=case.code),
        grid=case.handler_grid,
    )
    return case


def _top_of(case: Case) -> Grid | None:
    """The street/town centre of the case's place: the root of its chain."""
    if case.grid is None:
        return grids.roots().order_by("path").first()
    return Grid.objects.filter(path=grids.root_path(case.grid)).first()


@transaction.atomic
def add_note(case: Case, *, by, comment: str, photos=()) -> CaseEvent:
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    return _step(case, A.NOTE, by, comment=_need(comment, _("处置情况")), photos=photos)


def visit_required_open(user) -> QuerySet[Case]:
    """Open cases of a 五必到 category (family crisis, neighbour dispute...) that the user sees and that no
    one has yet visited on site: a worker must go."""
    visited = CaseEvent.objects.filter(action=A.SITE_VISIT).values("case_id")
    return (
        visible_cases(user)
        .filter(OPEN_NOW, category__visit_required=True)
        .exclude(pk__in=visited)
        .order_by("created")
    )


@transaction.atomic
def site_visit(case: Case, *, by, comment: str | Phrase, at: datetime | None = None) -> CaseEvent:
    """A worker was on site (五必到): recorded on the case by the visit that went there."""
    _require(by, perms.VIEW, case)
    if case.status not in OPEN:
        raise invalid("case", _("事件 %(code)s 已办结") % {"code": case.code}, "closed")
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""
    if isinstance(comment, Phrase):  # the visit's own words, shown in the reader's language
        return _step(case, A.SITE_VISIT, by, comment=phrase("%(when)s %(c)s", when=when, c=comment))
    return _step(case, A.SITE_VISIT, by, comment=f"{when} {comment}".strip())


@transaction.atomic
def handle(case: Case, *, by, comment: str, photos=()) -> Case:
    """反馈: the handler reports it done (with after-photos), for verification."""
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    comment = _need(comment, _("处置结果"))
    if case.category.dispute_kind:  # one record: the mediation register's outcome closes it
        raise invalid(
            "status",
            _("“%(c)s”属于矛盾纠纷：请转入矛盾纠纷调解（或关联已登记的纠纷），由调解结果办结")
            % {"c": case.category.name},
            "wrong_state",
        )
    if case.category.visit_required and not case.events.filter(action=A.SITE_VISIT).exists():
        raise invalid(
            "status",
            _("“%(c)s”属于五必到事项：须先到现场并记录到场（走访或在事件上记录），才能反馈办结")
            % {"c": case.category.name},
            "wrong_state",
        )
    _move(case, S.HANDLED)
    case.handled_at = timezone.now()
    case.answer = comment
    _start_stage(case, case.handled_at)
    case.save()
    _step(case, A.HANDLE, by, comment=comment, photos=photos)
    _tell_unit(
        case,
        f"case:{case.pk}:handled:{case.handled_at.timestamp()}",
        phrase("事件待核查：%(c)s", c=case.code),
        grid=case.grid or case.handler_grid,
    )
    return case


@transaction.atomic
def verify(case: Case, *, by, passed: bool, comment: str = "", photos=()) -> Case:
    """核查 on site: passed closes the case (结案) and asks the reporter to rate it; failed sends it back
    to the same handler (a rework)."""
    _require(by, perms.VERIFY, case)
    _from(case, S.HANDLED)
    now = timezone.now()
    if passed:
        _move(case, S.CLOSED)
        case.outcome, case.closed_at = Case.Outcome.SOLVED, now
        case.rating = case.rating_comment = ""  # after a rework the reporter rates the new answer
        _start_stage(case, now)
        case.save()
        _step(case, A.VERIFY_PASS, by, comment=comment, photos=photos)
        _tell_reporter(
            case,
            f"case:{case.pk}:closed:{now.timestamp()}",
            phrase("您反映的问题已办结，请评价：%(a)s", a=case.answer[:60]),
        )
        _close_repeats(case, by)
        return case
    _move(case, S.DISPATCHED)
    case.reopened += 1
    _start_stage(case, now)
    case.save()
    _step(case, A.VERIFY_FAIL, by, comment=_need(comment, _("核查不通过的原因")), photos=photos)
    _tell_unit(
        case,
        f"case:{case.pk}:rework:{now.timestamp()}",
        phrase("核查未通过，请重新处置：%(c)s", c=case.code),
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


def _reporter(case: Case) -> str:
    """Who rated through the follow link, as the timeline names them: the reporter, masked (张**, or
    反映人 139****5678)."""
    name = (case.reporter_name or "").strip()
    if name:
        return name[0] + "*" * max(len(name) - 1, 1)
    phone = case.reporter_phone
    return f"{_('反映人')} {registry.mask_phone(phone)}" if phone else str(_("反映人"))


@transaction.atomic
def rate(case: Case, *, rating: str, comment: str = "", by=None) -> Case:
    """回访/评价 by the reporter (through the follow link). Not satisfied reopens it to the same handler."""
    if case.status != S.CLOSED or case.outcome not in (
        Case.Outcome.SOLVED,
        Case.Outcome.UNSOLVABLE,
        Case.Outcome.ON_SPOT,
    ):
        raise invalid("rating", _("事件办结后才能评价"), "wrong_state")
    if case.rating:
        raise invalid("rating", _("该事件已评价过"), "wrong_state")
    if rating not in Case.Rating.values:
        raise invalid("rating", _("请选择满意、基本满意或不满意"), "invalid")
    reopen = rating == Case.Rating.UNSATISFIED and case.outcome != Case.Outcome.ON_SPOT
    if reopen:
        _need(comment, _("不满意的原因"))
    case.rating, case.rating_comment = rating, (comment or "").strip()[:255]
    now = timezone.now()
    if reopen:
        _move(case, S.DISPATCHED)
        case.reopened += 1
        case.outcome, case.closed_at = "", None
        _start_stage(case, now)
        case.save()
        _step(
            case,
            A.RATE,
            by,
            comment=phrase("%(r)s：%(c)s", r=Case.Rating(case.rating).label, c=case.rating_comment),
            who=_reporter(case),
        )
        _step(
            case,
            A.REOPEN,
            None,
            comment=case.rating_comment,
            to_grid=case.handler_grid,
            to_department=case.handler_department,
        )
        _tell_unit(
            case,
            f"case:{case.pk}:reopen:{now.timestamp()}",
            phrase("群众不满意，请重新办理：%(c)s", c=case.code),
            grid=case.handler_grid,
            department=case.handler_department,
        )
        return case
    case.save()
    comment = f"{case.get_rating_display()}：{case.rating_comment}".rstrip("：")
    _step(case, A.RATE, by, comment=comment, who=_reporter(case))
    return case


@transaction.atomic
def request_extension(case: Case, *, by, until: datetime, comment: str) -> Case:
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    comment = _need(comment, _("延期理由"))
    if case.stage_due_at and until <= case.stage_due_at:
        raise invalid("until", _("延期后的时限须晚于当前时限"), "out_of_range")
    if case.extension_requested_until:
        raise invalid("until", _("已有待审批的延期申请"), "wrong_state")
    case.extension_requested_until = until
    case.save()
    _step(
        case,
        A.EXTEND_REQUEST,
        by,
        comment=phrase(
            "%(c)s（申请延至 %(until)s）",
            c=comment,
            until=f"{timezone.localtime(until):%Y-%m-%d %H:%M}",
        ),
    )
    return case


@transaction.atomic
def decide_extension(case: Case, *, by, approve: bool, comment: str = "") -> Case:
    _require(by, perms.SUPERVISE, case)
    if not case.extension_requested_until:
        raise invalid("status", _("没有待审批的延期申请"), "wrong_state")
    until, case.extension_requested_until = case.extension_requested_until, None
    if approve:
        _start_stage(case, timezone.now(), due=until)
        case.due_at = until
        case.save()
        _step(case, A.EXTEND_APPROVE, by, comment=comment)
    else:
        case.save()
        _step(case, A.EXTEND_REFUSE, by, comment=_need(comment, _("不同意延期的理由")))
    return case


@transaction.atomic
def request_suspension(case: Case, *, by, comment: str) -> Case:
    """挂起 asked by the unit handling the case: waits for the centre, as 延期 does."""
    _require(by, perms.HANDLE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED)
    return _ask(case, Case.Request.SUSPEND, _need(comment, _("挂起原因")), A.SUSPEND_REQUEST, by)


@transaction.atomic
def request_unsolvable(case: Case, *, by, explanation: str) -> Case:
    """不能解决 asked by the unit handling the case, with the explanation for the reporter: waits for the
    centre, so that no case is closed unseen by the one that dispatched it."""
    _require(by, perms.HANDLE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED, S.SUSPENDED, S.HANDLED)
    explanation = _need(explanation, _("向群众的解释说明"))
    return _ask(case, Case.Request.UNSOLVABLE, explanation, A.UNSOLVABLE_REQUEST, by)


def _ask(case: Case, request: str, reason: str, action: str, by) -> Case:
    if case.pending_request:
        raise invalid("status", _("已有待审批的申请"), "wrong_state")
    case.pending_request, case.pending_reason = request, reason
    case.save()
    _step(case, action, by, comment=reason)
    _tell_unit(
        case,
        f"case:{case.pk}:{request}:{timezone.now().timestamp()}",
        phrase("待审批：%(c)s 申请%(r)s", c=case.code, r=Case.Request(case.pending_request).label),
        grid=_top_of(case),
    )
    return case


@transaction.atomic
def decide_request(case: Case, *, by, approve: bool, comment: str = "") -> Case:
    """The centre approves (the case is suspended or closed with the handler's reason) or refuses (with
    its own reason) a handler's request."""
    _require(by, perms.SUPERVISE, case)
    if not case.pending_request:
        raise invalid("status", _("没有待审批的申请"), "wrong_state")
    refusal = "" if approve else _need(comment, _("不同意的理由"))
    request, reason = case.pending_request, case.pending_reason
    case.pending_request, case.pending_reason = "", ""
    if not approve:
        case.save()
        _step(case, A.REQUEST_REFUSE, by, comment=refusal)
        return case
    if request == Case.Request.SUSPEND:
        return suspend(case, by=by, comment=reason)
    return cannot_solve(case, by=by, explanation=reason)


@transaction.atomic
def suspend(case: Case, *, by, comment: str) -> Case:
    """挂起, by the centre (or on its approval of the handler's request): the clock stops with the office
    time that was left of the stage and of the case's deadline."""
    _require(by, perms.SUPERVISE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED)
    comment = _need(comment, _("挂起原因"))
    now = timezone.now()
    work = WorkTime.around(now)
    case.paused_stage_minutes = work.minutes_between(now, case.stage_due_at) if case.stage_due_at else None
    case.paused_due_minutes = work.minutes_between(now, case.due_at) if case.due_at else None
    case.suspended_from = case.status
    _move(case, S.SUSPENDED)
    _start_stage(case, now)
    case.save()
    _step(case, A.SUSPEND, by, comment=comment)
    return case


@transaction.atomic
def resume(case: Case, *, by, comment: str = "") -> Case:
    """恢复办理: the clock goes on with the time that was left (an approved extension included)."""
    _require(by, perms.HANDLE, case)
    _from(case, S.SUSPENDED)
    now = timezone.now()
    work = WorkTime.around(now)
    _move(case, case.suspended_from or S.DISPATCHED)
    case.suspended_from = ""
    left = case.paused_stage_minutes
    _start_stage(case, now, due=work.add_minutes(now, left) if left is not None else None)
    if case.paused_due_minutes is not None:
        case.due_at = work.add_minutes(now, case.paused_due_minutes)
    case.paused_stage_minutes = case.paused_due_minutes = None
    case.save()
    _step(case, A.RESUME, by, comment=comment)
    return case


@transaction.atomic
def supervise(case: Case, *, by, comment: str = "") -> Case:
    """督办: marked and watched by the centre or a leader."""
    _require(by, perms.SUPERVISE, case)
    if not case.is_open:
        raise invalid("status", _("事件已办结"), "closed")
    case.supervised = True
    case.save()
    _step(case, A.SUPERVISE, by, comment=comment)
    _tell_unit(
        case,
        f"case:{case.pk}:supervise:{timezone.now().timestamp()}",
        phrase("督办：%(c)s", c=case.code),
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


@transaction.atomic
def cannot_solve(case: Case, *, by, explanation: str) -> Case:
    """不能解决, by the centre (or on its approval of the handler's request): closed with a public
    explanation to the reporter."""
    _require(by, perms.SUPERVISE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED, S.SUSPENDED, S.HANDLED)
    explanation = _need(explanation, _("向群众的解释说明"))
    _move(case, S.CLOSED)
    case.outcome, case.answer, case.closed_at = Case.Outcome.UNSOLVABLE, explanation, timezone.now()
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.UNSOLVABLE, by, comment=explanation)
    _tell_reporter(
        case,
        f"case:{case.pk}:unsolvable",
        phrase("关于您反映的问题的说明：%(a)s", a=explanation[:60]),
    )
    _close_repeats(case, by)
    return case


@transaction.atomic
def handle_together(case: Case, *, by) -> list[Case]:
    """一并办理: this case's open repeats that wait to be accepted or dispatched are accepted (a response,
    as 12345 counts it) and follow it: out of the queues and the deadline sweep, each answered with it
    when it closes."""
    _require(by, perms.ACCEPT, case)
    if not case.is_open:
        raise invalid("status", _("事件已办结"), "closed")
    now = timezone.now()
    taken = []
    waiting = case.repeats.filter(status__in=[S.REPORTED, S.ACCEPTED], follows_first=False)
    for repeat in waiting.select_related("category"):
        if repeat.status == S.REPORTED:
            _move(repeat, S.ACCEPTED)
            repeat.accepted_at = now
            _step(repeat, A.ACCEPT, by)
        repeat.follows_first = True
        repeat.stage_due_at = repeat.next_check_at = None
        repeat.warning = repeat.overdue = False
        repeat.save()
        _step(repeat, A.HANDLE_TOGETHER, by, comment=phrase("随 %(c)s 一并办理", c=case.code))
        taken.append(repeat)
    if taken:
        listed = "、".join(r.code for r in taken)
        _step(case, A.HANDLE_TOGETHER, by, comment=phrase("重复来电一并办理：%(l)s", l=listed))
    return taken


def _close_repeats(case: Case, by) -> None:
    """Repeated 12345 calls grouped under this case are answered with it: each closes with the same
    outcome and answer, as its own step, and its caller is told."""
    for repeat in Case.objects.filter(repeat_of=case, status__in=OPEN).select_related("category"):
        _move(repeat, S.CLOSED)
        repeat.outcome, repeat.answer, repeat.closed_at = case.outcome, case.answer, case.closed_at
        _start_stage(repeat, case.closed_at or timezone.now())
        repeat.save()
        _step(
            repeat,
            A.CLOSE,
            by,
            comment=phrase("与重复来电的首件 %(code)s 一并办结：%(a)s", code=case.code, a=case.answer),
        )
        _tell_reporter(
            repeat,
            f"case:{repeat.pk}:closed-with:{case.pk}",
            phrase("您反映的问题已办结：%(a)s", a=case.answer[:60]),
        )


@transaction.atomic
def mark_duplicate(case: Case, *, of: Case, by, comment: str = "") -> Case:
    """The duplicate closes, linked to the original; its reporter follows the original from then on."""
    _require(by, perms.ACCEPT, case)
    if of.pk == case.pk or of.duplicate_of_id:
        raise invalid("of", _("请选择另一件原始事件"), "required")
    if not case.is_open:
        raise invalid("status", _("事件已办结"), "closed")
    _move(case, S.CLOSED)
    case.outcome, case.duplicate_of, case.closed_at = Case.Outcome.DUPLICATE, of, timezone.now()
    case.answer = _("与事件 %(code)s 为同一问题，合并办理") % {"code": of.code}
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.DUPLICATE, by, comment=comment or case.answer)
    _tell_reporter(case, f"case:{case.pk}:duplicate", case.answer)
    return case
