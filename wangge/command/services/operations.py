"""应急行动: from an area search to a closed operation. The checklist holds one line per vulnerable person
found; workers move each line through 未联系 → 已联系 / 已转移 / 拒绝转移 / 联系不上 from their phones (an
update kept offline is sent later and stored once, by its client id); people moved are counted against
their shelter's capacity; a notice reaches the area's households by SMS; closing keeps the summary.

Who sees an operation follows from the grids its area touched: a worker sees it, and the lines of their
own grids, when one of those grids is in their jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.command.models import Check, CheckUpdate, Notice, Operation, Shelter
from wangge.command.services.area import Area, find_in_area
from wangge.core import idempotency
from wangge.core.errors import invalid
from wangge.engagement import services as engagement
from wangge.grids.jurisdiction import can_see_grid
from wangge.grids.models import Grid
from wangge.registry import services as registry

MAX_NOTICE = 300
CLOCK_SKEW = timedelta(minutes=10)  # a phone's clock a little ahead is believed, no more


# --- who sees what --------------------------------------------------------------------------------


def _visible_grid_ids(user) -> QuerySet:
    return accounts.visible(Grid.objects.all(), user, grid_field="").values("pk")


def operations_for(user) -> QuerySet[Operation]:
    """The operations whose area touched a grid in the user's jurisdiction."""
    touching = Operation.grids.through.objects.filter(grid_id__in=_visible_grid_ids(user))
    return Operation.objects.filter(pk__in=touching.values("operation_id")).select_related("started_by")


def get_operation_or_404(user, pk: int) -> Operation:
    found = operations_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def checks_for(user, operation: Operation) -> QuerySet[Check]:
    """The operation's lines in the user's jurisdiction."""
    return accounts.visible(operation.checks.all(), user)


def shelters_for(user) -> QuerySet[Shelter]:
    return accounts.visible(Shelter.objects.select_related("grid"), user)


# --- starting ---------------------------------------------------------------------------------------


@transaction.atomic
def start_operation(user, area: Area, *, title: str, kind: str, drill: bool = False,
                    shelter_ids=()) -> Operation:  # fmt: skip
    """Search the area and open an operation with a checklist line for each vulnerable person found
    (those without a point too, marked for the worker to check) and the dangerous houses as they were."""
    title = (title or "").strip()
    if not title:
        raise invalid("title", _("请填写行动名称，例如“台风贝碧嘉转移”"), "required")
    if kind not in Operation.Kind.values:
        raise invalid("kind", _("请选择行动类型"), "unknown")
    shelters = _chosen_shelters(user, shelter_ids)
    found = find_in_area(user, area)
    if not found.grid_names:
        raise invalid("area", _("范围内没有您辖区内的网格，无法发起行动"), "outside")
    operation = Operation.objects.create(
        title=title[:100],
        kind=kind,
        drill=drill,
        area=area.as_geojson(),
        area_described=area.described[:200],
        houses=[
            {"id": h.house_id, "address": h.address, "hazards": list(h.hazards), "grid_id": h.grid_id}
            for h in found.houses
        ],  # fmt: skip
        started_by=user,
        started_at=timezone.now(),
    )
    operation.grids.set(list(found.grid_names))
    operation.shelters.set(shelters)
    Check.objects.bulk_create(
        [
            Check(operation=operation, person_id=p.person_id, grid_id=p.grid_id, located=True)
            for p in found.people
        ]
        + [
            Check(operation=operation, person_id=p.person_id, grid_id=p.grid_id, located=False)
            for p in found.unplaced
        ]  # fmt: skip
    )
    audit.record(audit.Action.CREATE, actor=user, obj=operation,
                 detail={"area": area.described, "people": len(found.people) + len(found.unplaced),
                         "houses": len(found.houses), "drill": drill})  # fmt: skip
    return operation


def _chosen_shelters(user, ids) -> list[Shelter]:
    ids = [int(i) for i in ids if str(i).strip()]
    chosen = list(shelters_for(user).filter(pk__in=ids))
    if len(chosen) != len(set(ids)):
        raise invalid("shelters", _("找不到或不在您辖区内的安置点"), "outside")
    return chosen


@transaction.atomic
def add_shelter(user, operation: Operation, *, grid: Grid, name: str, capacity, address: str = "",
                contact: str = "") -> Shelter:  # fmt: skip
    """A new shelter in one of the user's grids, used by this operation from now on."""
    _require_open(operation)
    if not accounts.visible(Grid.objects.filter(pk=grid.pk), user, grid_field="").exists():
        raise invalid("grid", _("只能在您辖区内的网格设安置点"), "outside")
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写安置点名称"), "required")
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        raise invalid("capacity", _("容纳人数应为正整数"), "invalid") from None
    if not 1 <= capacity <= 100_000:
        raise invalid("capacity", _("容纳人数应在 1 到 100000 之间"), "out_of_range")
    if Shelter.objects.filter(grid=grid, name=name).exists():
        raise invalid("name", _("本网格已有同名安置点"), "taken")
    shelter = Shelter.objects.create(grid=grid, name=name[:100], capacity=capacity, address=address[:200],
                                     contact=contact[:100])  # fmt: skip
    operation.shelters.add(shelter)
    return shelter


# --- the checklist ----------------------------------------------------------------------------------


@dataclass
class Line:
    """A checklist line as a page shows it: the check and the person as the register has them now."""

    check: Check
    person: registry.AtRisk | None  # None: no longer visible to this user (moved to another grid)


def checklist_checks(user, operation: Operation, *, grid_id: int | None = None, state: str = "") -> QuerySet:
    """The user's lines of the operation, filtered, in grid order (a page of them goes to `lines`)."""
    checks = checks_for(user, operation).select_related("shelter", "grid", "noted_by")
    if grid_id:
        checks = checks.filter(grid_id=grid_id)
    if state:
        checks = checks.filter(state=state)
    return checks


def lines(user, checks) -> list[Line]:
    """These lines with their people as the register has them now (masked, in the user's jurisdiction)."""
    found = list(checks)
    people = {
        p.person_id: p
        for p in registry.people_at_risk(
            user, {c.grid_id for c in found}, person_ids=[c.person_id for c in found]
        )
    }
    return [Line(c, people.get(c.person_id)) for c in found]


def checklist(user, operation: Operation, *, grid_id: int | None = None, state: str = "") -> list[Line]:
    return lines(user, checklist_checks(user, operation, grid_id=grid_id, state=state))


def _require_open(operation: Operation) -> None:
    if not operation.is_open:
        raise invalid("operation", _("应急行动已结束，不能再更改"), "closed")


def _noted_at(raw) -> datetime:
    now = timezone.now()
    if raw in (None, ""):
        return now
    when = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
    if when is None:
        raise invalid("noted_at", _("时间格式不正确"), "invalid")
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return min(when, now + CLOCK_SKEW)


def record_check(check: Check, *, state: str, by, shelter_id=None, note: str = "", noted_at=None,
                 client_id: str = "") -> CheckUpdate:  # fmt: skip
    """A worker's update of one line. The same client id from the same sender is stored once; an update
    older (on the phone's clock) than the line's latest is kept in the history but changes nothing."""
    sender = idempotency.sender(by)
    if first := idempotency.sent_before(CheckUpdate.objects, client_id, sender):
        return first
    try:
        with transaction.atomic():
            return _record_check(check, state=state, by=by, shelter_id=shelter_id, note=note,
                                 noted_at=noted_at, client_id=client_id, sender=sender)  # fmt: skip
    except IntegrityError:  # the same id sent twice at once: the other one was stored
        if first := idempotency.sent_before(CheckUpdate.objects, client_id, sender):
            return first
        raise


def _record_check(check, *, state, by, shelter_id, note, noted_at, client_id, sender) -> CheckUpdate:
    operation = check.operation
    _require_open(operation)
    if state not in Check.State.values:
        raise invalid("state", _("请选择排查状态"), "unknown")
    when = _noted_at(noted_at)
    shelter = None
    if state == Check.State.MOVED:
        if not shelter_id:
            raise invalid("shelter", _("已转移的人员请选择安置点"), "required")
        # one at a time per shelter: two workers filling its last place
        shelter = operation.shelters.select_for_update().filter(pk=shelter_id).first()
        if shelter is None:
            raise invalid("shelter", _("该安置点不属于本次行动"), "not_found")
        taken = operation.checks.filter(shelter=shelter, state=Check.State.MOVED).exclude(pk=check.pk).count()
        if taken >= shelter.capacity:
            raise invalid(
                "shelter",
                _("安置点“%(s)s”已满（容纳 %(n)s 人），请选择其他安置点")
                % {"s": shelter.name, "n": shelter.capacity},
                "too_many",
            )
    update = CheckUpdate.objects.create(
        check_line=check, state=state, shelter=shelter, note=(note or "")[:200], noted_at=when, by=by,
        **idempotency.keyed(client_id, sender),
    )  # fmt: skip
    newest = Check.objects.select_for_update().get(pk=check.pk)
    if newest.noted_at is None or when >= newest.noted_at:
        Check.objects.filter(pk=check.pk).update(
            state=state, shelter=shelter, note=update.note, noted_at=when, noted_by=by
        )
    return update


# --- the board, notices, closing -------------------------------------------------------------------


@dataclass
class GridProgress:
    grid_id: int
    name: str
    counts: dict[str, int]
    total: int

    @property
    def done(self) -> int:
        """Lines settled: moved, or reached and staying (refused is settled too: known and recorded)."""
        return (
            self.counts.get(Check.State.MOVED, 0)
            + self.counts.get(Check.State.CONTACTED, 0)
            + self.counts.get(Check.State.REFUSED, 0)
        )

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def cells(self) -> list[int]:
        """The counts in the states' order, for a table's row."""
        return [self.counts.get(s, 0) for s in Check.State.values]


@dataclass
class Board:
    grids: list[GridProgress]
    totals: dict[str, int]
    total: int
    shelters: list[dict]
    houses: int

    @property
    def done(self) -> int:
        return sum(g.done for g in self.grids)

    @property
    def figures(self) -> list[tuple[str, str, int]]:
        """(state, label, count) in the states' order."""
        return [(value, str(label), self.totals.get(value, 0)) for value, label in Check.State.choices]


def board(user, operation: Operation) -> Board:
    """Progress per grid (the user's grids; everyone's when user is None), the shelters' occupancy."""
    checks = operation.checks.all() if user is None else checks_for(user, operation)
    per_grid: dict[int, dict[str, int]] = {}
    for grid_id, state, n in checks.values_list("grid_id", "state").annotate(n=Count("pk")).order_by():
        per_grid.setdefault(grid_id, {})[state] = n
    names = dict(Grid.objects.filter(pk__in=list(per_grid)).values_list("pk", "name"))
    grids = sorted(
        (GridProgress(g, names.get(g, ""), c, sum(c.values())) for g, c in per_grid.items()),
        key=lambda g: (g.share, g.name),
    )
    totals = {s: sum(g.counts.get(s, 0) for g in grids) for s in Check.State.values}
    occupied = dict(
        operation.checks.filter(state=Check.State.MOVED, shelter__isnull=False)
        .values_list("shelter_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    shelters = [
        {"id": s.pk, "name": s.name, "address": s.address, "capacity": s.capacity,
         "in": occupied.get(s.pk, 0), "contact": s.contact}
        for s in operation.shelters.order_by("name")
    ]  # fmt: skip
    seen = None if user is None else set(_visible_grid_ids(user).values_list("pk", flat=True))
    houses = sum(1 for h in operation.houses if seen is None or h["grid_id"] in seen)
    return Board(grids, totals, sum(totals.values()), shelters, houses)


def houses_for(user, operation: Operation) -> list[dict]:
    seen = set(_visible_grid_ids(user).values_list("pk", flat=True))
    return [h for h in operation.houses if h["grid_id"] in seen]


@transaction.atomic
def send_notice(operation: Operation, *, text: str, by) -> Notice:
    """An SMS to every household with a phone in the area (in the sender's jurisdiction), through the
    outbox: once per household per notice, however often the request is retried."""
    _require_open(operation)
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("请填写通知内容"), "required")
    if len(text) > MAX_NOTICE:
        raise invalid("text", _("通知最多 %(n)s 个字") % {"n": MAX_NOTICE}, "out_of_range")
    # published to the residents of the operation's grids through engagement's notices: pinned on their
    # home page, and by SMS to the households inside the area
    mine = [g for g in operation.grids.all() if can_see_grid(by, g)]
    published = engagement.publish_notice(mine, title=operation.title, body=text, by=by, urgent=True,
                                          sms=True, area=operation.area)  # fmt: skip
    sent = published.households
    notice = Notice.objects.create(operation=operation, text=text, sent_by=by, households=sent)
    audit.record(audit.Action.UPDATE, actor=by, obj=operation,
                 detail={"notice": notice.pk, "households": published.households})  # fmt: skip
    return notice


@transaction.atomic
def close_operation(operation: Operation, *, by, note: str = "") -> Operation:
    """End the operation and keep its figures as they were: each grid's progress, the shelters, the
    notices, how long it ran. The lines still open are named in the summary by number, not erased."""
    operation = Operation.objects.select_for_update().get(pk=operation.pk)
    _require_open(operation)
    now = timezone.now()
    b = board(None, operation)
    operation.summary = {
        "people": b.total,
        "states": b.totals,
        "settled": b.done,
        "still_open": b.totals.get(Check.State.NOT_CONTACTED, 0) + b.totals.get(Check.State.UNREACHABLE, 0),
        "houses": b.houses,
        "grids": [{"name": g.name, "total": g.total, "counts": g.counts} for g in b.grids],
        "shelters": [{"name": s["name"], "capacity": s["capacity"], "in": s["in"]} for s in b.shelters],
        "notices": operation.notices.count(),
        "households_notified": sum(operation.notices.values_list("households", flat=True)),
        "minutes": int((now - operation.started_at).total_seconds() // 60),
        "updates": CheckUpdate.objects.filter(check_line__operation=operation).count(),
    }
    operation.status = Operation.Status.CLOSED
    operation.closed_at, operation.closed_by, operation.closing_note = now, by, (note or "").strip()
    operation.save()
    audit.record(audit.Action.CLOSE, actor=by, obj=operation, detail={"settled": b.done, "people": b.total})
    return operation
