"""周研判会: the weekly review's meeting (its agenda is the report), its minutes, and its decisions, each
followed to its end: a case in the event loop (through `cases.services`) or a task with an owner and a
date."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.cases import services as cases
from wangge.command.models import AnalysisReport, Decision, Meeting
from wangge.core.errors import invalid
from wangge.grids import services as grids
from wangge.grids.models import Grid


def reports_for(user) -> QuerySet[AnalysisReport]:
    """Reports of the grids in the user's jurisdiction (a unit's figures are for those who hold it)."""
    return accounts.visible(AnalysisReport.objects.select_related("grid", "generated_by"), user)


def get_report_or_404(user, pk: int) -> AnalysisReport:
    found = reports_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def decisions_for(user) -> QuerySet[Decision]:
    """Decisions of the meetings on reports of the user's area, and the tasks given to the user."""
    mine = Decision.objects.filter(owner=user).values("pk")
    in_area = accounts.visible(Decision.objects.all(), user, grid_field="meeting__report__grid").values("pk")
    return Decision.objects.filter(Q(pk__in=in_area) | Q(pk__in=mine)).select_related(
        "meeting__report__grid", "owner"
    )


@transaction.atomic
def record_meeting(report: AnalysisReport, *, held_on: date, attendees: str, minutes: str, by) -> Meeting:
    if report.kind != AnalysisReport.Kind.WEEKLY:
        raise invalid("report", _("研判会议只针对周研判报告"), "wrong_state")
    attendees = (attendees or "").strip()
    if not attendees:
        raise invalid("attendees", _("请填写参会人员"), "required")
    if held_on > timezone.localdate():
        raise invalid("held_on", _("会议日期不能晚于今天"), "out_of_range")
    meeting = Meeting.objects.create(report=report, held_on=held_on, attendees=attendees[:500],
                                     minutes=(minutes or "").strip(), recorded_by=by)  # fmt: skip
    audit.record(audit.Action.CREATE, actor=by, obj=meeting, detail={"report": report.pk})
    return meeting


@transaction.atomic
def add_decision(meeting: Meeting, *, text: str, kind: str, by, owner=None, due_on: date | None = None,
                 category: str = "") -> Decision:  # fmt: skip
    """A decision of the meeting: as a case (its category; the report's grid as its place, reported by
    the one recording it) or as a task (an owner in the grid's jurisdiction and a date)."""
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("请填写决定事项"), "required")
    if kind not in Decision.Kind.values:
        raise invalid("kind", _("请选择落实方式：转为事件或交办任务"), "unknown")
    grid = meeting.report.grid
    decision = Decision(meeting=meeting, text=text[:500], kind=kind, due_on=due_on)
    if kind == Decision.Kind.TASK:
        if owner is None:
            raise invalid("owner", _("交办任务请选择责任人"), "required")
        # someone who holds the grid, or a part of it (a community's staff for a town's decision)
        part = Grid.objects.filter(grids.subtree_q(grid.path))
        if not accounts.visible(part, owner, grid_field="").exists():
            raise invalid("owner", _("责任人的辖区不在%(g)s内") % {"g": grid.name}, "outside")
        if due_on is None:
            raise invalid("due_on", _("交办任务请填写完成时限"), "required")
        decision.owner = owner
    else:
        if not category:
            raise invalid("category", _("转为事件请选择事件类别"), "required")
        case = cases.report(
            cases.ReportIn(category=category, description=f"【周研判决定】{text}", grid_code=grid.code,
                           channel="staff"),
            by=by,
        )  # fmt: skip
        decision.case_code = case.code
    decision.save()
    return decision


@transaction.atomic
def finish_decision(decision: Decision, *, note: str, by) -> Decision:
    """A task done (a case's decision follows its case, closed in the loop)."""
    if decision.kind != Decision.Kind.TASK:
        raise invalid("decision", _("转为事件的决定随事件办结"), "wrong_state")
    if decision.state == Decision.State.DONE:
        raise invalid("decision", _("该决定已落实"), "closed")
    note = (note or "").strip()
    if not note:
        raise invalid("note", _("请填写落实情况"), "required")
    decision.state, decision.done_on, decision.done_note = (
        Decision.State.DONE,
        timezone.localdate(),
        note[:500],
    )
    decision.save()
    audit.record(audit.Action.UPDATE, actor=by, obj=decision, detail={"done": True})
    return decision


def case_state(user, decision: Decision) -> str:
    """The case a decision became, as the user may see it: its status, or "" when not visible."""
    if not decision.case_code:
        return ""
    found = cases.visible_cases(user, one=True).filter(code=decision.case_code).first()
    return found.get_status_display() if found else ""
