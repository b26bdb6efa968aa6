"""The verbs of field work: what is due, recording a visit once, and everything derived from it.

A household's standing under each rule is a `Duty` row (since, last done, next due), kept in step by
the archive's `households_changed` signal and a periodic full sync. A visit satisfies every due rule of
the household it may satisfy (an in-person visit satisfies contact rules too), and each satisfied duty
leaves a `Fulfilment` (due day, done day) from which coverage is counted.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.cases import services as cases
from wangge.core import idempotency
from wangge.core import photos as core_photos
from wangge.core.bulk import insert_rows
from wangge.core.errors import error, invalid
from wangge.core.phrases import phrase
from wangge.fieldwork import due as household_due
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import scene, tasks
from wangge.fieldwork.models import (
    Campaign,
    CampaignTarget,
    Duty,
    Finding,
    Fulfilment,
    HouseholdDue,
    Mode,
    ServiceRecord,
    Visit,
    VisitPhoto,
    VisitRule,
)
from wangge.grids import coords, maps
from wangge.grids import services as grids
from wangge.registry import services as registry

OK, PROBLEM = "ok", "problem"


def today() -> date:
    return timezone.localdate()


def add_period(d: date, every: int, unit: str) -> date:
    """The day `every` units after d; a month end stays in its month (31 Jan + 1 month = 28/29 Feb)."""
    if unit == "day":
        return d + timedelta(days=every)
    if unit == "week":
        return d + timedelta(weeks=every)
    months = every * {"month": 1, "quarter": 3, "year": 12}[unit]
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_due(rule: VisitRule, since: date, last_done: date | None) -> date:
    if last_done is None:
        return since + timedelta(days=rule.first_within_days)
    return add_period(last_done, rule.every, rule.unit)


def satisfies(rule_kind: str, mode: str) -> bool:
    """Phone and WeChat count as contact; only an in-person visit counts as a visit."""
    return rule_kind == VisitRule.Kind.CONTACT or mode == Mode.IN_PERSON


def _selected(rule: VisitRule | Campaign, on: date | None = None) -> QuerySet:
    return registry.households_where(
        groups=rule.groups, residences=rule.residences, hazards=rule.hazards, on=on
    )


# --- keeping duties in step with the archive ---------------------------------------------------
def sync(household_ids: list[int] | None = None, *, on: date | None = None) -> dict:
    """Create the duties rules now select and drop those they no longer select, for these households
    (or all). A new duty is first due `first_within_days` after today; a dropped one stops at once."""
    on = on or today()
    created = dropped = 0
    changed: set[int] = set()
    for rule in VisitRule.objects.all():
        # a full sync writes each rule in one transaction (SQLite: one commit, not one per batch); a few
        # households are synced inside the archive write that changed them
        with transaction.atomic() if household_ids is None else nullcontext():
            new, gone = _sync_rule(rule, household_ids, on)
        created, dropped = created + len(new), dropped + len(gone)
        changed |= new | gone
    household_due.refresh(changed)
    return {"created": created, "dropped": dropped}


def _sync_rule(rule: VisitRule, household_ids: list[int] | None, on: date) -> tuple[set[int], set[int]]:
    """The households whose duty under this rule was created, and those whose duty was dropped."""
    existing = Duty.objects.filter(rule=rule)
    selected = _selected(rule, on)
    if household_ids is not None:
        existing = existing.filter(household_id__in=household_ids)
        selected = selected.filter(pk__in=household_ids)
    want = set(selected.values_list("pk", flat=True)) if rule.active else set()
    have = set(existing.values_list("household_id", flat=True))
    gone = have - want
    if gone:
        for chunk in _chunks(sorted(gone)):
            Duty.objects.filter(rule=rule, household_id__in=chunk).delete()
    new = sorted(want - have)
    first = on + timedelta(days=rule.first_within_days)
    if household_ids is not None:
        # a few households inside someone's archive write: a duty the hourly sync made meanwhile is no
        # reason to fail that write
        Duty.objects.bulk_create(
            [Duty(rule=rule, household_id=h, since=on, due_on=first) for h in new], ignore_conflicts=True
        )
    else:
        # the bulk path (COPY on PostgreSQL): a full sync after an import makes hundreds of thousands
        a = connection.ops.adapt_datefield_value
        insert_rows(
            Duty,
            ("rule_id", "household_id", "since", "due_on"),
            [(rule.pk, h, a(on), a(first)) for h in new],
        )
    return set(new), gone


def _chunks(items: list, n: int = 900):
    for i in range(0, len(items), n):
        yield items[i : i + n]


def recompute(rule: VisitRule) -> int:
    """After a rule's period changed: every duty's next due day again, one UPDATE per distinct day (a
    few hundred statements for a million duties; date arithmetic in SQL differs between databases)."""
    changed = 0
    with transaction.atomic():
        duties = Duty.objects.filter(rule=rule)
        for last in duties.exclude(last_done=None).values_list("last_done", flat=True).distinct():
            if last is not None:
                changed += duties.filter(last_done=last).update(due_on=next_due(rule, last, last))
        for since in duties.filter(last_done=None).values_list("since", flat=True).distinct():
            changed += duties.filter(last_done=None, since=since).update(due_on=next_due(rule, since, None))
        household_due.refresh(duties.values_list("household_id", flat=True))
    return changed


def on_households_changed(sender, household_ids, bulk=False, **kwargs) -> None:
    if bulk:  # a ledger import: the background task catches up, the import does not wait
        transaction.on_commit(lambda: tasks.sync_duties.enqueue())
        return
    sync(list(household_ids))


# --- what is due --------------------------------------------------------------------------------


def duties_for(user) -> QuerySet[Duty]:
    return accounts.visible(
        Duty.objects.select_related("rule", "household", "household__house", "household__house__building",
                                    "household__head", "household__grid"),
        user,
        grid_field="household__grid",
    )  # fmt: skip


def week_end(on: date) -> date:
    return on + timedelta(days=6 - on.weekday())


@dataclass
class RoundStop:
    """One household on a worker's round, with everything due there."""

    household: Any
    duties: list[Duty] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)

    @property
    def due_on(self) -> date:
        days = [d.due_on for d in self.duties] + [c.end for c in self.campaigns]
        return min(days)

    @property
    def overdue(self) -> bool:
        return self.due_on < today()

    @property
    def building(self) -> str:
        house = self.household.house
        if house is None:
            return ""
        return house.building.address if house.building_id else house.address

    @property
    def point(self) -> tuple[float, float] | None:
        return household_point(self.household)

    @property
    def contact_only(self) -> bool:
        return (
            bool(self.duties)
            and not self.campaigns
            and all(d.rule.kind == VisitRule.Kind.CONTACT for d in self.duties)
        )


def household_point(household) -> tuple[float, float] | None:
    return registry.house_point(household.house) if household.house is not None else None


TABS = ("overdue", "today", "week", "done")


def _due_q(tab: str, on: date) -> Q:
    if tab == "overdue":
        return Q(due_on__lt=on)
    if tab == "today":
        return Q(due_on__lte=on)
    return Q(due_on__lte=week_end(on))


def due_by_grid(user, tab: str, grid_list, *, on: date | None = None) -> list[dict]:
    """How many households are due (in the tab's sense) in each of these grids: a town centre's round
    is a table to drill into, not 4,609 households on one page."""
    grid_list = list(grid_list)
    totals = maps.subtree_totals(due_by_grid_id(user, tab, on=on), grid_list)  # one GROUP BY, not one a grid
    return [{"grid": g, "households": totals[g.code]} for g in grid_list]


def due_by_grid_id(user, tab: str = "week", *, on: date | None = None) -> dict[int, int]:
    """{grid id: households due} over everything the user sees, for colouring the map."""
    qs = duties_for(user).filter(rule__active=True).filter(_due_q(tab, on or today()))
    return maps.count_by_grid(qs, "household__grid", distinct="household")


def due_count(user, tab: str, *, on: date | None = None, grid=None) -> int:
    on = on or today()
    qs = duties_for(user).filter(rule__active=True).filter(_due_q(tab, on))
    if grid is not None:
        qs = qs.filter(grids.subtree_q(grid.path, prefix="household__grid__"))
    return qs.aggregate(n=Count("household", distinct=True))["n"]


def round_for(user, tab: str = "today", *, on: date | None = None, grid=None) -> list[RoundStop]:
    """A worker's round: households due (overdue / today / this week), one stop per household with all
    its due rules and campaigns, sorted by building then room so it can be walked."""
    on = on or today()
    qs = duties_for(user)
    if grid is not None:
        qs = qs.filter(grids.subtree_q(grid.path, prefix="household__grid__"))
    qs = qs.filter(_due_q(tab, on))
    stops: dict[int, RoundStop] = {}
    for d in qs.order_by("due_on")[: settings.FIELDWORK_ROUND_LIMIT]:
        stops.setdefault(d.household_id, RoundStop(d.household)).duties.append(d)
    for c, hh in _campaign_targets_due(user, on, grid):
        if tab == "overdue" and c.end >= on:
            continue
        if tab == "today" and c.end > on:
            continue
        stops.setdefault(hh.pk, RoundStop(hh)).campaigns.append(c)
    return sorted(
        stops.values(),
        key=lambda s: (s.building, s.household.house.room if s.household.house else "", s.household.number),
    )


def done_for(user, *, on: date | None = None) -> QuerySet[Visit]:
    """The user's own visits this week."""
    on = on or today()
    start = on - timedelta(days=on.weekday())
    return visits_for(user).filter(worker=user, visited_at__date__gte=start)


# --- recording a visit --------------------------------------------------------------------------


@dataclass
class VisitIn:
    """A visit as the phone sends it (once, or again when the connection came back)."""

    household: int
    client_id: str
    mode: str = Mode.IN_PERSON
    visited_at: datetime | None = None
    answers: dict = field(default_factory=dict)
    notes: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    case_code: str = ""
    persons: list[int] = field(default_factory=list)  # the members met (whom)
    # findings (each optional)
    correction_person: int | None = None
    correction_field: str = ""
    correction_value: str = ""
    hazard_kind: str = ""
    hazard_grade: str = ""
    hazard_note: str = ""
    problem_category: str = ""
    problem_description: str = ""


CORRECTABLE = ("phone", "occupation", "employer", "education", "chronic_illness", "disability_grade",
               "political_status", "address")  # fmt: skip


def checklist_for(household, *, on: date | None = None) -> list[str]:
    """The things to look at on this household's visit: every applicable rule's and campaign's items."""
    items: list[str] = []
    for d in Duty.objects.filter(household=household, rule__active=True).select_related("rule"):
        items += [i for i in d.rule.checklist if i not in items]
    for c in active_campaigns_of(household, on=on):
        items += [i for i in c.checklist if i not in items]
    return items


def record_visit(data: VisitIn, *, by, photos=()) -> Visit:
    """Store a visit and everything it found, all or nothing. A retried submission (same client id)
    returns the first visit unchanged."""
    if not data.client_id or len(data.client_id) > 64:
        raise invalid("client_id", _("缺少客户端编号，请刷新页面后重试"), "required")
    if not by.has_perm(perms.RECORD):  # before any look-up by what the caller sent
        raise PermissionDenied(_("您没有登记走访的权限"))
    if existing := _sent_before(data.client_id, by):
        return existing
    try:
        with transaction.atomic():
            return _record(data, by=by, photos=list(photos))
    except IntegrityError:
        if existing := _sent_before(data.client_id, by):
            return existing  # a concurrent retry of the same visit won
        raise


def _sent_before(client_id: str, by) -> Visit | None:
    """The visit this worker sent before under the same client id (another user's id is a new visit)."""
    return idempotency.sent_before(Visit.objects, client_id, idempotency.sender(by))


def _clean(data: VisitIn, by, photos: list) -> tuple:
    if not by.has_perm(perms.RECORD):
        raise PermissionDenied(_("您没有登记走访的权限"))
    household = registry.households_for(by).filter(pk=data.household).first()
    if household is None:
        raise invalid("household", _("找不到该户，或该户不在您的网格内"), "outside")
    errors: dict[str, ValidationError] = {}
    if data.mode not in Mode.values:
        errors["mode"] = error(_("请选择走访方式"), "required")
    now = timezone.now()
    at = data.visited_at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + timedelta(minutes=10):
        errors["visited_at"] = error(_("走访时间不能晚于现在"), "out_of_range")
    elif at < now - timedelta(days=settings.FIELDWORK_BACKDATE_DAYS):
        errors["visited_at"] = error(
            _("只能补录 %(n)d 天内的走访") % {"n": settings.FIELDWORK_BACKDATE_DAYS}, "out_of_range"
        )
    items = checklist_for(household, on=timezone.localtime(at).date())
    answers = {}
    for k, v in (data.answers or {}).items():
        if k not in items:
            errors["answers"] = error(_("走访事项“%(k)s”不在本户的清单中") % {"k": k}, "unknown")
        elif v not in (OK, PROBLEM):
            errors["answers"] = error(_("走访事项“%(k)s”的回答应为“正常”或“有问题”") % {"k": k}, "invalid")
        else:
            answers[k] = v
    notes = (data.notes or "").strip()
    if len(notes) > 2000:
        errors["notes"] = error(_("情况记录不能超过 2000 字"), "out_of_range")
    if PROBLEM in answers.values() and not notes and not (data.hazard_kind or data.problem_category):
        errors["notes"] = error(_("有问题的事项请写明情况，或登记隐患、上报问题"), "required")
    lon, lat = data.lon, data.lat
    if (lon is None) != (lat is None):
        errors["lat"] = error(_("经度和纬度要一起提供"), "required")
    elif lon is not None and lat is not None:
        if data.crs not in ("wgs84", "gcj02", "bd09") or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["lon"] = error(_("位置坐标不正确"), "invalid")
        else:
            lon, lat = coords.to_wgs84(lon, lat, data.crs)
    if len(photos) > settings.FIELDWORK_MAX_PHOTOS:
        errors["photos"] = error(
            _("最多上传 %(n)d 张照片") % {"n": settings.FIELDWORK_MAX_PHOTOS}, "too_many"
        )
    persons = sorted({int(p) for p in data.persons or []})
    if persons and registry.in_register(household.members.filter(pk__in=persons)).count() != len(persons):
        errors["persons"] = error(_("见到的人须是本户在册成员"), "invalid")
    if data.correction_field or data.correction_value:
        if data.correction_field not in CORRECTABLE:
            errors["correction_field"] = error(_("请选择要更正的项目"), "required")
        elif not data.correction_value.strip():
            errors["correction_value"] = error(_("请填写更正后的内容"), "required")
        elif not registry.in_register(household.members.filter(pk=data.correction_person or 0)).exists():
            errors["correction_person"] = error(_("请选择本户的一位成员"), "required")
    if errors:
        raise ValidationError(errors)
    images = [core_photos.check_image(p, max_bytes=settings.CASE_MAX_PHOTO_BYTES) for p in photos]
    return household, at, answers, notes, lon, lat, images, persons


def _record(data: VisitIn, *, by, photos: list) -> Visit:

    household, at, answers, notes, lon, lat, images, persons = _clean(data, by, photos)
    place = household_point(household)
    day = timezone.localtime(at).date()
    campaigns = active_campaigns_of(household, on=day)
    visit = Visit.objects.create(
        client_id=data.client_id,
        client_sender=idempotency.sender(by),
        household=household,
        grid=household.grid,
        worker=by,
        mode=data.mode,
        persons=persons,
        visited_at=at,
        answers=answers,
        notes=notes,
        lon=lon,
        lat=lat,
        distance_m=round(coords.distance_m(lon, lat, *place)) if lon is not None and place else None,
        campaign=campaigns[0] if campaigns and data.mode == Mode.IN_PERSON else None,
        case_code=data.case_code.strip().upper(),
    )
    for image in images:
        content, width, height = core_photos.jpeg(image)
        photo = VisitPhoto(visit=visit, width=width, height=height)
        photo.image.save("photo.jpg", ContentFile(content), save=True)
    _findings(visit, data, by)
    _fulfil(visit, day)
    if visit.case_code:
        _on_site(visit, by)
    audit.record(audit.Action.CREATE, actor=by, obj=visit, object_repr=f"走访 {household.number}")
    return visit


def _findings(visit: Visit, data: VisitIn, by) -> None:
    household = visit.household
    if data.correction_field:
        person = household.members.get(pk=data.correction_person or 0)
        change = registry.propose_from_visit(
            household,
            by=by,
            person=person,
            values={data.correction_field: data.correction_value.strip()},
            client_id=f"visit-{visit.client_id}",
        )
        Finding.objects.create(
            visit=visit,
            kind=Finding.Kind.CORRECTION,
            summary=f"{person.name}：{data.correction_field}",
            proposal_id=change.pk,
        )
    if data.hazard_kind:
        if household.house is None:
            raise invalid("hazard_kind", _("该户没有登记房屋，不能登记房屋隐患"), "not_found")
        hazard = registry.mark_hazard(
            household.house,
            kind=data.hazard_kind,
            grade=data.hazard_grade,
            note=(data.hazard_note or "")[:255],
            found_on=timezone.localtime(visit.visited_at).date(),
            by=by,
        )
        Finding.objects.create(
            visit=visit, kind=Finding.Kind.HAZARD, summary=str(hazard)[:255], hazard_id=hazard.pk
        )
    if data.problem_category:
        point = (visit.lon, visit.lat) if visit.lon is not None else household_point(household)
        case = cases.report(
            cases.ReportIn(
                category=data.problem_category,
                description=(data.problem_description or "").strip(),
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                address=household.house.address if household.house else "",
                client_id=f"visit-{visit.client_id}",
                channel="worker",
                grid_code=household.grid.code,
            ),
            by=by,
            attributes_extra={"visit": visit.client_id},
        )
        Finding.objects.create(
            visit=visit, kind=Finding.Kind.PROBLEM, summary=case.description[:255], case_code=case.code
        )


def _fulfil(visit: Visit, day: date) -> None:
    """Every duty of the household this visit may satisfy: a fulfilment row and the next due day. An older
    visit entered late moves nothing back."""
    done = []
    for duty in (
        Duty.objects.select_for_update()
        .filter(household=visit.household, rule__active=True)
        .select_related("rule")
    ):
        if not satisfies(duty.rule.kind, visit.mode) or day < duty.since:
            continue
        if duty.last_done is not None and day <= duty.last_done:
            continue
        done.append(Fulfilment(rule=duty.rule, household=visit.household, grid=visit.grid, visit=visit,
                               due_on=duty.due_on, done_on=day))  # fmt: skip
        duty.last_done, duty.due_on = day, next_due(duty.rule, duty.since, day)
        duty.save(update_fields=["last_done", "due_on"])
    Fulfilment.objects.bulk_create(done)
    if done:
        household_due.refresh([visit.household_id])


def _on_site(visit: Visit, by) -> None:
    try:
        case = cases.get_case_or_404(by, visit.case_code)
    except Exception as exc:  # Http404: unknown or not the worker's
        raise invalid("case_code", _("找不到事件 %(c)s") % {"c": visit.case_code}, "not_found") from exc
    cases.site_visit(case, by=by, comment=phrase("网格员到场走访（%(hh)s）", hh=visit.household.number),
                     at=visit.visited_at)  # fmt: skip


# --- reading visits ----------------------------------------------------------------------------


def visits_for(user) -> QuerySet[Visit]:
    return accounts.visible(
        Visit.objects.select_related("household", "household__house", "grid", "worker", "campaign"), user
    )


def get_visit_or_404(user, pk: int) -> Visit:
    return accounts.get_visible_or_404(
        Visit.objects.select_related("household", "household__house", "grid", "worker"), user, pk=pk
    )


# --- campaigns ----------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    *, name: str, grid, start: date, end: date, groups=(), residences=(), hazards: bool = False,
    checklist=(), by,
) -> Campaign:  # fmt: skip
    """A campaign over the households its conditions select in the grid, fixed when it is created."""
    if not by.has_perm(perms.MANAGE_CAMPAIGNS) or not accounts.can_see_grid(by, grid):
        raise PermissionDenied(_("您不能在该网格发起走访活动"))
    errors = {}
    if not name.strip():
        errors["name"] = error(_("请填写活动名称"), "required")
    if end < start:
        errors["end"] = error(_("结束日期不能早于开始日期"), "out_of_range")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        name=name.strip(), grid=grid, start=start, end=end, groups=list(groups),
        residences=list(residences), hazards=hazards, checklist=[c for c in checklist if c], created_by=by,
    )  # fmt: skip
    ids = (
        _selected(campaign, start)
        .filter(grids.subtree_q(grid.path, prefix="grid__"))
        .values_list("pk", flat=True)
    )
    CampaignTarget.objects.bulk_create(
        [CampaignTarget(campaign=campaign, household_id=h) for h in ids], batch_size=2000
    )
    audit.record(audit.Action.CREATE, actor=by, obj=campaign)
    return campaign


def active_campaigns_of(household, *, on: date | None = None) -> list[Campaign]:
    on = on or today()
    return list(
        Campaign.objects.filter(targets__household=household, start__lte=on, end__gte=on).order_by("end")
    )


def campaigns_for(user) -> QuerySet[Campaign]:
    """Campaigns over the user's grids, and campaigns of a wider grid with targets the user sees (a
    town's 周一夜访 is on each worker's round)."""
    mine = CampaignTarget.objects.filter(household__in=registry.households_for(user)).values("campaign_id")
    return accounts.visible(Campaign.objects.select_related("grid"), user, also=Q(pk__in=mine))


def _campaign_targets_due(user, on: date, grid=None):
    """(campaign, household) for running campaigns' targets not yet visited in person within them."""
    running = campaigns_for(user).filter(start__lte=on, end__gte=on)
    out = []
    for c in running:
        targets = registry.households_for(user).filter(pk__in=c.targets.values("household_id"))
        if grid is not None:
            targets = targets.filter(grids.subtree_q(grid.path, prefix="grid__"))
        visited = Visit.objects.filter(
            household__in=targets, mode=Mode.IN_PERSON, visited_at__date__gte=c.start
        ).values("household_id")
        for hh in targets.exclude(pk__in=visited).select_related("house", "house__building", "head"):
            out.append((c, hh))
    return out


def campaign_progress(campaign: Campaign, user) -> list[dict]:
    """Per child grid of the campaign's grid: targets, visited in person within the dates, share."""
    targets = registry.households_for(user).filter(pk__in=campaign.targets.values("household_id"))
    visited = set(
        Visit.objects.filter(
            household__in=targets, mode=Mode.IN_PERSON,
            visited_at__date__gte=campaign.start, visited_at__date__lte=campaign.end,
        ).values_list("household_id", flat=True)
    )  # fmt: skip
    rows = []
    for child in _children_or_self(campaign.grid):
        ids = set(targets.filter(grids.subtree_q(child.path, prefix="grid__")).values_list("pk", flat=True))
        if not ids:
            continue
        done = len(ids & visited)
        rows.append({"grid": child, "targets": len(ids), "visited": done, "share": done / len(ids)})
    return rows


def _children_or_self(grid) -> list:
    children = list(grids.active_grids().filter(parent_path(grid)).order_by("path"))
    return children or [grid]


def parent_path(grid) -> Q:
    return Q(depth=grid.depth + 1) & grids.subtree_q(grid.path)


# --- coverage (outcomes, not activity) ----------------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def coverage(user, grid, start: date, end: date, *, on: date | None = None) -> list[dict]:
    """Per child grid: visits that fell due in [start, end], how many were done by their day, how many
    late, how many still open past their day. Share in time = in time / fell due."""
    on = on or today()
    rows = []
    for child in _children_or_self(grid):
        f = Fulfilment.objects.filter(
            grids.subtree_q(child.path, prefix="grid__"), due_on__gte=start, due_on__lte=end
        )
        agg = f.aggregate(n=Count("pk"), in_time=Count("pk", filter=Q(done_on__lte=F("due_on"))))
        open_late = Duty.objects.filter(
            grids.subtree_q(child.path, prefix="household__grid__"),
            rule__active=True, due_on__gte=start, due_on__lte=min(end, on - timedelta(days=1)),
        ).count()  # fmt: skip
        due = agg["n"] + open_late
        rows.append({
            "grid": child, "due": due, "in_time": agg["in_time"], "late": agg["n"] - agg["in_time"],
            "open_late": open_late, "share": (agg["in_time"] / due) if due else None,
        })  # fmt: skip
    return rows


def summary(user, *, on: date | None = None) -> dict:
    on = on or today()
    qs = duties_for(user).filter(rule__active=True)
    agg = qs.aggregate(
        overdue=Count("household", filter=Q(due_on__lt=on), distinct=True),
        today=Count("household", filter=Q(due_on=on), distinct=True),
        due_now=Count("household", filter=Q(due_on__lte=on), distinct=True),
        week=Count("household", filter=Q(due_on__gt=on, due_on__lte=week_end(on)), distinct=True),
        first=Min("due_on"),
        last=Max("last_done"),
    )
    return agg


def must_visit(user):
    """Open 五必到 cases in the user's grids that no one has visited on site yet."""

    return cases.visit_required_open(user).select_related("category")


def stops_by_building(stops: list[RoundStop]) -> list[tuple[str, list[RoundStop]]]:
    grouped: dict[str, list[RoundStop]] = defaultdict(list)
    for s in stops:
        grouped[s.building or _("（未登记楼栋）")].append(s)
    return list(grouped.items())


# --- 帮办代办 --------------------------------------------------------------------------------------


def service_records_for(user) -> QuerySet[ServiceRecord]:
    return accounts.visible(ServiceRecord.objects.select_related("person", "grid", "worker"), user)


def start_service(
    *, person_id: int, kind: str, mode: str, note: str = "", by, client_id: str = ""
) -> ServiceRecord:
    """Take on a service for a resident of the worker's grids. A retry returns the first record."""

    if not by.has_perm(perms.SERVICE):
        raise PermissionDenied(_("您没有登记帮办代办的权限"))
    sender = idempotency.sender(by)
    if existing := idempotency.sent_before(ServiceRecord.objects, client_id, sender):
        return existing
    errors = {}
    person = registry.in_register(registry.persons_for(by).filter(pk=person_id)).first()
    if person is None:
        errors["person"] = error(_("找不到该居民，或其不在您的网格内"), "outside")
    kinds = scene.settings().service_kinds
    if not kind or (kinds and kind not in kinds):
        errors["kind"] = error(_("请选择办理事项"), "required")
    if mode not in ServiceRecord.Mode.values:
        errors["mode"] = error(_("请选择办理方式"), "required")
    if errors or person is None:
        raise ValidationError(errors)
    steps = [{"on": today().isoformat(), "note": note.strip() or _("受理"), "by": str(by)}]
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                person=person,
                grid=person.grid,
                kind=kind,
                mode=mode,
                steps=steps,
                started_on=today(),
                worker=by,
                **idempotency.keyed(client_id, sender),
            )
            audit.record(audit.Action.CREATE, actor=by, obj=record, object_repr=f"帮办代办 {kind}")
    except IntegrityError:
        if again := idempotency.sent_before(ServiceRecord.objects, client_id, sender):
            return again
        raise
    return record


def _open_record(record: ServiceRecord, by) -> ServiceRecord:
    if not by.has_perm(perms.SERVICE) or not service_records_for(by).filter(pk=record.pk).exists():
        raise PermissionDenied(_("该记录不在您的网格内"))
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.state != ServiceRecord.State.OPEN:
        raise invalid("state", _("该事项已办结"), "closed")
    return record


@transaction.atomic
def add_service_step(record: ServiceRecord, *, note: str, by) -> ServiceRecord:
    record = _open_record(record, by)
    if not note.strip():
        raise invalid("note", _("请写明办理进展"), "required")
    record.steps = [*record.steps, {"on": today().isoformat(), "note": note.strip()[:255], "by": str(by)}]
    record.save(update_fields=["steps", "last_updated"])
    return record


@transaction.atomic
def finish_service(record: ServiceRecord, *, state: str, result: str, by) -> ServiceRecord:
    record = _open_record(record, by)
    errors = {}
    if state not in (ServiceRecord.State.DONE, ServiceRecord.State.REFUSED):
        errors["state"] = error(_("请选择办理结果"), "required")
    if not result.strip():
        errors["result"] = error(_("请写明结果（办成了什么，或为什么没能办成）"), "required")
    if errors:
        raise ValidationError(errors)
    record.state, record.result, record.finished_on = state, result.strip()[:255], today()
    record.save()
    audit.record(audit.Action.UPDATE, actor=by, obj=record, detail={"state": state})
    return record


# --- joint patrols (patrols.py), reachable from here (imported last: they use the above) -------------

from wangge.fieldwork.patrols import analysis as patrol_analysis  # noqa: E402, F401
from wangge.fieldwork.patrols import plan as plan_patrol  # noqa: E402, F401
from wangge.fieldwork.patrols import plans_for  # noqa: E402, F401
from wangge.fieldwork.patrols import public_outcomes as patrol_outcomes  # noqa: E402, F401
from wangge.fieldwork.patrols import record as record_patrol_finding  # noqa: E402, F401
from wangge.fieldwork.patrols import summary as patrol_summary  # noqa: E402, F401


@dataclass
class WeekProgress:
    due: int  # households with a visit due by the end of this week (the late ones too)
    done: int  # households visited since Monday
    due_link: str
    done_link: str


def week_progress(user, grid, *, on: date | None = None) -> WeekProgress:
    """This week's visits in a grid's subtree, for the leader's screen: households due (by their next
    visit, `household_due`) against households visited. A grid the user sees brings its whole subtree,
    where the jurisdiction's filter would gather every grid of it first (as `cases.visible_cases`)."""
    on = on or today()
    monday = on - timedelta(days=on.weekday())
    since = timezone.make_aware(datetime.combine(monday, time.min))
    due_rows = HouseholdDue.objects.filter(first_due__lte=week_end(on))
    visits = Visit.objects.filter(visited_at__gte=since)
    if not grids.is_only_root(grid):  # every household and visit is in a grid: the root needs no join
        due_rows = due_rows.filter(grids.subtree_q(grid.path, prefix="household__grid__"))
        visits = visits.filter(grids.subtree_q(grid.path, prefix="grid__"))
    seen = accounts.can_see_grid(user, grid)
    return WeekProgress(
        due_rows.count() if seen else 0,
        visits.aggregate(n=Count("household", distinct=True))["n"] if seen else 0,
        f"{reverse('fieldwork:coverage')}?grid={grid.pk}",
        f"{reverse('fieldwork:visit_list')}?grid={grid.code}&from={monday.isoformat()}",
    )


def visits_in_time(user, grid, start: date, end: date) -> tuple[int, int, str]:
    """Visits that fell due in [start, end] in a grid's subtree and were done by their day: (in time, fell
    due, the coverage page) — the same reckoning as the coverage page, summed over its rows."""
    rows = coverage(user, grid, start, end)
    link = f"{reverse('fieldwork:coverage')}?grid={grid.pk}&month={start.isoformat()[:7]}"
    return sum(r["in_time"] for r in rows), sum(r["due"] for r in rows), link


def worker_record(worker) -> dict[str, int]:
    """What this person recorded, ever: 帮办代办 done, hazards and problems their visits found."""
    found = Finding.objects.filter(visit__worker=worker)
    return {
        "services_done": ServiceRecord.objects.filter(worker=worker, state=ServiceRecord.State.DONE).count(),
        "hazards_found": found.filter(kind=Finding.Kind.HAZARD).count(),
        "problems_found": found.filter(kind=Finding.Kind.PROBLEM).count(),
    }
