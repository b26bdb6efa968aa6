"""The verbs of mediation: record a dispute, mediate it up the levels, close it; the monthly report.

The monthly figures are computed from the disputes themselves (never typed in), with their formulas:
found = disputes found in the month; mediated = disputes closed in the month; success rate = agreed ÷
mediated; outstanding = found by the month's end and not closed by it.
"""

from __future__ import annotations

import calendar
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.core import idempotency, outbox, photos
from wangge.core.errors import error, invalid
from wangge.core.phrases import phrase
from wangge.grids import services as grids
from wangge.mediation import permissions as perms
from wangge.mediation import scene
from wangge.mediation.models import Dispute, DisputeType, FollowUp, MonthlyReport, Session, Signature
from wangge.mediation.signals import dispute_closed  # noqa: F401  (for the modules that listen)
from wangge.registry import services as registry
from wangge.registry.validators import mask_id

S = Dispute.Status
RISKS = Dispute.Risk.choices
LEVELS = [Dispute.Level.UNIT, Dispute.Level.COMMUNITY, Dispute.Level.STREET]
FORMULAS = {
    "found": gettext_lazy("本月发现 = 发现日期在本月的纠纷数"),
    "mediated": gettext_lazy("本月调结 = 本月办结（成功、部分达成、不成引导）的纠纷数"),
    "agreed": gettext_lazy("调解成功 = 本月办结且调解成功的纠纷数"),
    "success_rate": gettext_lazy("调解成功率 = 调解成功 ÷ 本月调结"),
    "outstanding": gettext_lazy("月末未结 = 月末前发现且月末仍未办结的纠纷数"),
}


def today() -> date:
    return timezone.localdate()


def level_days(level: str) -> int:
    section = scene.settings()
    return (section.level_days if section else {}).get(level, 15)


OUTSTANDING = [Dispute.Status.OPEN, Dispute.Status.MEDIATING]  # 未化解: not yet settled one way or another


@dataclass
class MonthOnScreen:
    outstanding: int
    outstanding_link: str
    reports_missing: list[str]  # the first MISSING_NAMED communities under the grid that have not filed
    reports_link: str
    reports_missing_count: int = 0  # all of them


MISSING_NAMED = 20


def month_on_screen(user, grid) -> MonthOnScreen:
    """Disputes not yet settled in a grid's subtree, and the monthly reports still missing there (last
    month's, due this month), for the leader's screen."""
    outstanding = disputes_for(user).filter(
        grids.subtree_q(grid.path, prefix="grid__"), status__in=OUTSTANDING
    )
    last_month = month_start(month_start(today()) - timedelta(days=1))
    # by name only: a city's 2,000 communities read whole (their boundaries) took 96 ms, measured
    unfiled = (
        communities_for(user)
        .filter(grids.subtree_q(grid.path))
        .exclude(pk__in=MonthlyReport.objects.filter(month=last_month).values("grid_id"))
    )
    named = list(unfiled.values_list("name", flat=True)[:MISSING_NAMED])
    return MonthOnScreen(
        outstanding.count(), f"{reverse('mediation:list')}?outstanding=on&grid={grid.code}", named,
        f"{reverse('mediation:monthly')}?month={last_month.isoformat()[:7]}",
        unfiled.count() if len(named) == MISSING_NAMED else len(named),
    )  # fmt: skip


def disputes_for(user) -> QuerySet[Dispute]:
    return accounts.visible(Dispute.objects.select_related("grid", "kind", "found_by"), user)


@dataclass
class DisputeIn:
    grid: int
    kind: str
    summary: str
    parties: list[str] = field(default_factory=list)
    place: str = ""
    risk: str = Dispute.Risk.LOW
    found_on: date | None = None
    mediator: str = ""
    client_id: str = ""
    # parties from the archive, by ID number (exact, through the blind index, within jurisdiction)
    party_id_numbers: list[str] = field(default_factory=list)
    case_code: str = ""  # the case it came in as: one record for both


def record(data: DisputeIn, *, by) -> Dispute:
    """Record a dispute found (by a building or unit leader, a worker...). A retry returns the first."""
    if not by.has_perm(perms.RECORD):
        raise PermissionDenied(_("您没有登记矛盾纠纷的权限"))
    sender = idempotency.sender(by)
    if existing := idempotency.sent_before(Dispute.objects, data.client_id, sender):
        return existing
    if data.case_code and Dispute.objects.filter(case_code=data.case_code).exists():
        raise invalid("case_code", _("事件 %(c)s 已转入矛盾纠纷调解") % {"c": data.case_code}, "taken")
    errors: dict[str, ValidationError] = {}
    grid = accounts.visible(grids.active_grids(), by, grid_field="").filter(pk=data.grid).first()
    if grid is None:
        errors["grid"] = error(_("请选择您辖区内的网格"), "outside")
    kind = DisputeType.objects.filter(key=data.kind).first()
    if kind is None:
        errors["kind"] = error(_("请选择纠纷类型"), "required")
    summary = (data.summary or "").strip()
    if not summary:
        errors["summary"] = error(_("请写明纠纷概况"), "required")
    elif len(summary) > 255:
        errors["summary"] = error(_("纠纷概况不能超过 255 字"), "out_of_range")
    parties: list[dict] = [{"name": p.strip()} for p in data.parties if p and p.strip()]

    for number in [n.strip() for n in data.party_id_numbers if n and n.strip()]:
        person = registry.find_by_id_number(number, by)
        if person is None:
            errors["party_id_numbers"] = error(
                _("在您辖区的档案中找不到证件号码 %(n)s") % {"n": mask_id(number)}, "outside"
            )
        elif all(p.get("person") != person.pk for p in parties):
            parties = [p for p in parties if p["name"] != person.name] + [
                {"name": person.name, "person": person.pk}
            ]
    if not parties:
        errors["parties"] = error(_("请至少填写一方当事人"), "required")
    if data.risk not in Dispute.Risk.values:
        errors["risk"] = error(_("请选择风险等级"), "required")
    found_on = data.found_on or today()
    if found_on > today():
        errors["found_on"] = error(_("发现日期不能晚于今天"), "out_of_range")
    if errors or grid is None or kind is None:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                grid=grid,
                kind=kind,
                summary=summary,
                parties=parties,
                place=data.place.strip(),
                risk=data.risk,
                found_by=by,
                found_on=found_on,
                level=Dispute.Level.UNIT,
                level_due=found_on + timedelta(days=level_days("unit")),
                mediator=data.mediator.strip(),
                case_code=data.case_code or None,
                **idempotency.keyed(data.client_id, sender),
            )
            audit.record(audit.Action.CREATE, actor=by, obj=dispute)
    except IntegrityError:
        if again := idempotency.sent_before(Dispute.objects, data.client_id, sender):
            return again
        raise
    return dispute


def dispute_of_case(case_code: str) -> Dispute | None:
    return Dispute.objects.filter(case_code=case_code).first() if case_code else None


@transaction.atomic
def link_case(dispute: Dispute, case_code: str, *, by) -> Dispute:
    """Link a dispute already in the register to the case it was also reported as (one record). A dispute
    already decided closes the case at once."""
    if not by.has_perm(perms.RECORD) or not disputes_for(by).filter(pk=dispute.pk).exists():
        raise PermissionDenied(_("该纠纷不在您的辖区内"))
    if dispute.case_code and dispute.case_code != case_code:
        raise invalid("dispute", _("该纠纷已关联事件 %(c)s") % {"c": dispute.case_code}, "taken")
    if Dispute.objects.filter(case_code=case_code).exclude(pk=dispute.pk).exists():
        raise invalid("case_code", _("事件 %(c)s 已转入矛盾纠纷调解") % {"c": case_code}, "taken")
    dispute.case_code = case_code
    dispute.save(update_fields=["case_code", "last_updated"])
    audit.record(audit.Action.UPDATE, actor=by, obj=dispute, detail={"case": case_code})
    if dispute.closed:
        dispute_closed.send(Dispute, dispute=dispute, by=by)
    return dispute


def _mine(dispute: Dispute, by) -> Dispute:
    if not by.has_perm(perms.RECORD) or not disputes_for(by).filter(pk=dispute.pk).exists():
        raise PermissionDenied(_("该纠纷不在您的辖区内"))
    if dispute.closed:
        raise invalid("status", _("该纠纷已办结"), "closed")
    return dispute


@transaction.atomic
def add_session(
    dispute: Dispute, *, by, notes: str, mediator: str = "", held_on: date | None = None
) -> Session:
    _mine(dispute, by)
    errors = {}
    if not notes.strip():
        errors["notes"] = error(_("请填写调解记录"), "required")
    held_on = held_on or today()
    if held_on > today() or held_on < dispute.found_on:
        errors["held_on"] = error(_("调解日期应在发现日期与今天之间"), "out_of_range")
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        dispute=dispute,
        held_on=held_on,
        notes=notes.strip(),
        mediator=(mediator.strip() or str(by))[:64],
        recorded_by=by,
    )
    Dispute.objects.filter(pk=dispute.pk).update(status=S.MEDIATING, mediator=session.mediator)
    return session


@transaction.atomic
def escalate(dispute: Dispute, *, by, reason: str) -> Dispute:
    """Up one level (楼栋/单元长 → 社区调解员 → 街道中心), with that level's time."""
    _mine(dispute, by)
    if dispute.level == Dispute.Level.STREET:
        raise invalid("level", _("已在街道（乡镇）中心调解"), "wrong_state")
    if not reason.strip():
        raise invalid("reason", _("请说明上交的原因"), "required")
    dispute.level = LEVELS[[str(v) for v in LEVELS].index(dispute.level) + 1]
    dispute.level_due = today() + timedelta(days=level_days(dispute.level))
    dispute.save(update_fields=["level", "level_due", "last_updated"])
    Session.objects.create(
        dispute=dispute,
        held_on=today(),
        mediator=str(by)[:64],
        recorded_by=by,
        notes=_("上交%(level)s：%(reason)s")
        % {"level": dispute.get_level_display(), "reason": reason.strip()},
    )
    audit.record(audit.Action.UPDATE, actor=by, obj=dispute, detail={"level": dispute.level})
    return dispute


@transaction.atomic
def close(
    dispute: Dispute,
    *,
    by,
    status: str,
    outcome: str,
    referred_to: str = "",
    agreement: str = "",
    on: date | None = None,
) -> Dispute:
    """The outcome. An agreement (full or partial) has its terms written down (人民调解协议书) and is
    visited again within the follow-up days to see it kept; a failure says where the parties were sent."""
    _mine(dispute, by)
    errors = {}
    if status in (S.AGREED, S.PARTLY) and not agreement.strip():
        errors["agreement"] = error(_("达成协议时请写明协议内容"), "required")
    if status not in (S.AGREED, S.PARTLY, S.FAILED):
        errors["status"] = error(_("请选择调解结果"), "required")
    if not outcome.strip():
        errors["outcome"] = error(_("请写明调解结果"), "required")
    if status == S.FAILED and not referred_to.strip():
        errors["referred_to"] = error(_("调解不成时请写明引导至何处（法院、仲裁或有关部门）"), "required")
    if not dispute.sessions.exists():
        errors["status"] = error(_("请先记录至少一次调解"), "wrong_state")
    if errors:
        raise ValidationError(errors)
    dispute.status, dispute.outcome, dispute.referred_to = status, outcome.strip(), referred_to.strip()
    dispute.agreement = agreement.strip() if status in (S.AGREED, S.PARTLY) else ""
    dispute.closed_on = on or today()
    if status in (S.AGREED, S.PARTLY):
        dispute.follow_up_due = dispute.closed_on + timedelta(days=settings.MEDIATION_FOLLOW_UP_DAYS)
    # only what the outcome sets: a stale copy must not undo a link made since it was read
    dispute.save(update_fields=["status", "outcome", "referred_to", "agreement", "closed_on", "follow_up_due",
                                "last_updated"])  # fmt: skip
    dispute.refresh_from_db(fields=["case_code"])
    audit.record(audit.Action.UPDATE, actor=by, obj=dispute, detail={"status": status})
    dispute_closed.send(Dispute, dispute=dispute, by=by)  # a case it came in as closes with it
    return dispute


def _signed(dispute: Dispute, by) -> None:
    if not by.has_perm(perms.RECORD) or not disputes_for(by).filter(pk=dispute.pk).exists():
        raise PermissionDenied(_("该纠纷不在您的辖区内"))
    if dispute.status not in (S.AGREED, S.PARTLY):
        raise invalid("status", _("只有达成协议的纠纷才有协议书"), "wrong_state")


@transaction.atomic
def sign(dispute: Dispute, *, by, party: str, upload=None, drawn: str = "") -> Signature:
    """A party signs the agreement: a photo of the signed paper, or a signature drawn on the phone (a PNG
    data URL from the page's canvas)."""

    _signed(dispute, by)
    names = [p["name"] for p in dispute.parties]
    if party not in names:
        raise invalid("party", _("请选择一位当事人"), "required")
    if drawn:
        upload = photos.drawn_upload(drawn)
    if upload is None:
        raise invalid("signature", _("请手写签名或上传签字照片"), "required")
    image = photos.check_image(upload, max_bytes=settings.CASE_MAX_PHOTO_BYTES, field="signature")
    image.thumbnail((1200, 1200))
    buf = io.BytesIO()
    image.convert("RGBA" if drawn else "RGB").save(buf, "PNG")
    sig = Signature(
        dispute=dispute,
        party=party,
        kind=Signature.Kind.DRAWN if drawn else Signature.Kind.PHOTO,
        recorded_by=by,
    )
    sig.image.save("sign.png", ContentFile(buf.getvalue()), save=False)
    sig.save()
    audit.record(audit.Action.CREATE, actor=by, obj=sig, object_repr=f"{party} 签名")
    return sig


@transaction.atomic
def follow_up(dispute: Dispute, *, by, kept: bool, note: str = "", on: date | None = None) -> FollowUp:
    _signed(dispute, by)
    on = on or today()
    if on < (dispute.closed_on or on) or on > today():
        raise invalid("visited_on", _("回访日期应在办结日期与今天之间"), "out_of_range")
    if not kept and not note.strip():
        raise invalid("note", _("协议未履行时请写明情况"), "required")
    return FollowUp.objects.create(dispute=dispute, visited_on=on, kept=kept, note=note.strip(), by=by)


def follow_ups_due(user, on: date | None = None) -> QuerySet[Dispute]:
    """Agreements whose follow-up visit is due and not yet made."""
    on = on or today()
    return disputes_for(user).filter(follow_up_due__lte=on, follow_ups__isnull=True)


def sweep_levels(on: date | None = None) -> int:
    """Disputes still open past their level's days: the grid is told (once per dispute and level)."""
    on = on or today()
    n = 0
    for d in Dispute.objects.filter(level_due__lt=on, status__in=[S.OPEN, S.MEDIATING]).select_related(
        "grid"
    ):
        outbox.notify(
            f"mediation-level-{d.pk}-{d.level}",
            title=phrase(
                "矛盾纠纷超过%(level)s调解期限：%(s)s",
                level=Dispute.Level(d.level).label,
                s=d.summary[:30],
            ),
            link=f"/mediation/{d.pk}/",
            grid_id=d.grid_id,
        )
        n += 1
    return n


# --- the monthly report ------------------------------------------------------------------------


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def due_day(month: date) -> date:
    """The day the report of `month` is due: the setting's day of that month (25th), or its last day."""
    return month.replace(
        day=min(settings.MEDIATION_REPORT_DAY, calendar.monthrange(month.year, month.month)[1])
    )


def communities_for(user) -> QuerySet:
    """The grids that file monthly reports (the scene's level) within the user's jurisdiction."""
    section = scene.settings()
    if section is None:
        return grids.active_grids().none()
    qs = grids.active_grids().filter(level__key=section.report_level).order_by("path")
    return accounts.visible(qs, user, grid_field="")


def figures(grid, month: date) -> dict:
    start, end = month_start(month), month_end(month)
    qs = Dispute.objects.filter(grids.subtree_q(grid.path, prefix="grid__"))
    closed = qs.filter(closed_on__gte=start, closed_on__lte=end)
    f: dict[str, int | float | None] = {
        "found": qs.filter(found_on__gte=start, found_on__lte=end).count(),
        "mediated": closed.count(),
        "agreed": closed.filter(status=S.AGREED).count(),
        "partly": closed.filter(status=S.PARTLY).count(),
        "failed": closed.filter(status=S.FAILED).count(),
        "outstanding": qs.filter(found_on__lte=end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=end))
        .count(),
    }
    agreed, mediated = int(f["agreed"] or 0), int(f["mediated"] or 0)
    f["success_rate"] = round(agreed / mediated, 4) if mediated else None
    return f


@transaction.atomic
def file_report(grid, month: date, *, by, zero: bool = False) -> MonthlyReport:
    """File a community's report for a month; a zero report only when the month had no dispute at all."""
    month = month_start(month)
    if not by.has_perm(perms.FILE_REPORT) or not communities_for(by).filter(pk=grid.pk).exists():
        raise PermissionDenied(_("您不能为该社区报送月报"))
    if month > month_start(today()):
        raise invalid("month", _("不能报送未来月份的月报"), "out_of_range")
    if MonthlyReport.objects.filter(grid=grid, month=month).exists():
        raise invalid("month", _("%(m)s 的月报已报送") % {"m": f"{month:%Y-%m}"}, "taken")
    f = figures(grid, month)
    if zero and (f["found"] or f["mediated"] or f["outstanding"]):
        raise invalid(
            "zero",
            _("本月有矛盾纠纷（发现 %(found)d 件，未结 %(outstanding)d 件），不能报零报告") % f,
            "wrong_state",
        )
    report = MonthlyReport.objects.create(
        grid=grid, month=month, zero=zero, figures=f, filed_by=by, late=today() > due_day(month)
    )
    audit.record(audit.Action.CREATE, actor=by, obj=report, object_repr=f"{grid.name} {month:%Y-%m} 月报")
    return report


@dataclass
class Filing:
    grid: Any  # a Grid (mediation reads the grids as the platform gives them)
    report: MonthlyReport | None
    due: date

    @property
    def state(self) -> str:
        if self.report is not None:
            return "late" if self.report.late else "filed"
        return "overdue" if today() > self.due else "waiting"


def filings(user, month: date) -> list[Filing]:
    """Who has filed the month's report and who has not (red after the day)."""
    month = month_start(month)
    reports = {r.grid_id: r for r in MonthlyReport.objects.filter(month=month).select_related("filed_by")}
    return [Filing(g, reports.get(g.pk), due_day(month)) for g in communities_for(user)]


def remind(on: date | None = None) -> int:
    """Remind each community that has not filed: in the days before the day, and each day after it."""
    on = on or today()
    month = month_start(on)
    due = due_day(month)
    if on < due - timedelta(days=settings.MEDIATION_REMIND_DAYS):
        return 0
    section = scene.settings()
    if section is None:
        return 0
    filed = set(MonthlyReport.objects.filter(month=month).values_list("grid_id", flat=True))
    n = 0
    for g in grids.active_grids().filter(level__key=section.report_level).exclude(pk__in=filed):
        late = on > due
        outbox.notify(
            f"mediation-report-{g.pk}-{on:%Y%m%d}",
            title=phrase(
                gettext_noop("%(m)s 矛盾纠纷月报已逾期，请尽快报送")
                if late
                else gettext_noop("请于 %(d)s 前报送 %(m)s 矛盾纠纷月报"),
                m=f"{month:%Y-%m}",
                d=f"{due:%m-%d}",
            ),
            link="/mediation/monthly/",
            grid_id=g.pk,
        )
        n += 1
    return n


def settled_in(user, grid, start: date, end: date) -> tuple[int, int, str]:
    """Disputes of a grid's subtree closed in [start, end], and of those the ones settled (agreed, or in
    part): (settled, closed, the list)."""
    closed = disputes_for(user).filter(
        grids.subtree_q(grid.path, prefix="grid__"), closed_on__gte=start, closed_on__lte=end
    )
    settled = closed.filter(status__in=[Dispute.Status.AGREED, Dispute.Status.PARTLY]).count()
    return settled, closed.count(), f"{reverse('mediation:list')}?grid={grid.code}"


def reports_on_time(user, grid, start: date, end: date) -> tuple[int, int, str]:
    """The monthly reports of the communities in a grid's subtree that fell due in [start, end]: filed by
    their day (filed on time, counted) of those due (reports not yet due are not counted)."""
    on_time = due = 0
    month = month_start(start - timedelta(days=31))
    while month <= end:
        if start <= due_day(month) <= min(end, today()):
            for f in filings(user, month):
                if f.grid.path.startswith(grid.path):
                    due += 1
                    on_time += f.state == "filed"
        month = month_start(month_end(month) + timedelta(days=1))
    return on_time, due, reverse("mediation:monthly")


def worker_record(worker) -> int:
    """Disputes this person took part in mediating (a session they recorded), ever."""
    return Session.objects.filter(recorded_by=worker).values("dispute").distinct().count()
