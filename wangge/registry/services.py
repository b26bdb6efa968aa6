"""The verbs of the grid archive: register, correct, move, mark hazards, special groups, unmask."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.core import crypto, idempotency
from wangge.core.errors import error, invalid
from wangge.grids import services as grids
from wangge.grids.models import Grid  # type hints only: grids are read through grids.services
from wangge.registry import ledger_refresh, signals
from wangge.registry import permissions as perms
from wangge.registry.addresses import AddressBook, Match, canonical  # noqa: F401  (used by the modules)
from wangge.registry.models import (
    Building,
    GroupAlias,
    GroupMembership,
    Hazard,
    House,
    Household,
    HouseholdGridHistory,
    Organisation,
    Person,
    PersonChange,
    SpecialGroup,
)
from wangge.registry.validators import (
    IdError,
    check_credit_code,
    mask_address,
    mask_phone,  # noqa: F401  (modules showing a phone mask it alike)
    parse_document,
)

PII_FIELDS = {
    "id_number": gettext_lazy("证件号码"),
    "phone": gettext_lazy("手机号"),
    "address": gettext_lazy("现住址"),
    "registered_address": gettext_lazy("户籍地址"),
}


# Choices other modules show on their forms (they read the archive's models through these, not directly).
HAZARD_KINDS = Hazard.Kind.choices
RESIDENCES = Household.Residence.choices


def special_group_keys() -> set[str]:
    return set(SpecialGroup.objects.values_list("key", flat=True))


def person_field_label(name: str) -> str:
    return str(getattr(Person._meta.get_field(name), "verbose_name", name))


def today() -> date:
    return timezone.localdate()


def normalise_phone(raw: str | None) -> str:
    phone = (raw or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
        raise invalid("phone", _("电话号码格式不正确：%(phone)s") % {"phone": raw}, "invalid")
    return phone


# --- reading, always through jurisdiction ------------------------------------------------------
def person_of_user(user) -> Person | None:
    """The registered person an account belongs to: the active person whose phone is the account's phone
    (a resident's own points, keys and household)."""
    index = crypto.blind_index(getattr(user, "phone", "") or "")
    if not index:
        return None
    return Person.objects.select_related("household").filter(phone_index=index, status="active").first()


def persons_for(user) -> QuerySet[Person]:
    return accounts.visible(Person.objects.select_related("grid", "household"), user)


def in_register(persons: QuerySet[Person]) -> QuerySet[Person]:
    """Those of these persons still in the register (在册): not moved out, not deceased."""
    return persons.filter(status=Person.Status.ACTIVE)


def households_for(user) -> QuerySet[Household]:
    return accounts.visible(Household.objects.select_related("grid", "house", "head"), user)


def houses_for(user) -> QuerySet[House]:
    return accounts.visible(House.objects.select_related("grid", "building"), user)


def buildings_for(user) -> QuerySet[Building]:
    return accounts.visible(Building.objects.select_related("grid"), user)


def hazards_for(user) -> QuerySet[Hazard]:
    return accounts.visible(
        Hazard.objects.select_related("house", "house__grid"), user, grid_field="house__grid"
    )


def organisations_for(user) -> QuerySet[Organisation]:
    return accounts.visible(Organisation.objects.select_related("grid"), user)


def groups_for(user) -> QuerySet[SpecialGroup]:
    """Special groups the user may see: sensitive ones need a further permission."""
    qs = SpecialGroup.objects.all()
    return qs if user.has_perm(perms.VIEW_SENSITIVE_GROUPS) else qs.filter(sensitive=False)


# --- an emergency: who and what to look for first in an area --------------------------------------


def house_point(house: House) -> tuple[float, float] | None:
    """Where a house is on the map: its own point, else its building's."""
    if house.lon is not None and house.lat is not None:
        return house.lon, house.lat
    b = house.building
    if b is not None and b.lon is not None and b.lat is not None:
        return b.lon, b.lat
    return None


@dataclass(frozen=True)
class AtRisk:
    """A person to find first in an emergency, as the command module lists them: no more than it needs,
    the phone and the ID number masked (unmasking stays on the person's page, audited)."""

    person_id: int
    name: str
    groups: tuple[str, ...]
    age: int | None
    phone: str  # masked
    household: str
    address: str
    grid_id: int
    point: tuple[float, float] | None  # the house's, else its building's


def people_at_risk(user, grid_ids, *, person_ids=None) -> list[AtRisk]:
    """The people in the register, in these grids and the user's jurisdiction, who belong now to a group
    the scene marks vulnerable (and the user may see). With `person_ids`: those people as they are now
    (an operation's checklist, started from an earlier search), whatever changed since."""
    today = timezone.localdate()
    groups = {g.pk: g.name for g in groups_for(user).filter(vulnerable=True)}
    current = GroupMembership.objects.filter(group_id__in=list(groups), start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    if person_ids is None:
        chosen = in_register(persons_for(user)).filter(pk__in=current.values("person_id"))
    else:
        chosen = persons_for(user).filter(pk__in=list(person_ids))
    people = (
        chosen.filter(grid_id__in=list(grid_ids))
        .select_related("household__house__building")
        # what the list shows, no more: every encrypted column loaded is decrypted (2,744 people of a
        # town's typhoon area took 0.6 s of decrypting they did not need, measured)
        .only(
            "name",
            "birth_date",
            "phone",
            "address",
            "grid_id",
            "household__number",
            "household__phone",
            "household__house__address",
            "household__house__lon",
            "household__house__lat",
            "household__house__building__lon",
            "household__house__building__lat",
        )
        .order_by("grid_id", "household_id", "pk")
    )
    found = list(people)
    held: dict[int, list[str]] = {}
    for person_id, group_id in current.filter(person_id__in=[p.pk for p in found]).values_list(
        "person_id", "group_id"
    ):
        held.setdefault(person_id, []).append(groups[group_id])
    return [_at_risk(p, held.get(p.pk, []), today) for p in found]


def _at_risk(p: Person, groups: list[str], today: date) -> AtRisk:
    house = p.household.house if p.household_id and p.household else None
    point = house_point(house) if house is not None else None
    age = None
    if p.birth_date:
        age = (
            today.year
            - p.birth_date.year
            - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
        )
    return AtRisk(
        person_id=p.pk,
        name=p.name,
        groups=tuple(groups),
        age=age,
        phone=mask_phone(p.phone or (p.household.phone if p.household else "")),
        household=p.household.number if p.household else "",
        # the house's address (a place, on its public board); a person's own address is masked
        address=house.address if house is not None else mask_address(p.address),
        grid_id=p.grid_id,
        point=point,
    )


def household_phones(user, grid_ids) -> list[tuple[int, str, tuple[float, float] | None]]:
    """(household id, phone, the house's point) of the households in these grids and the user's
    jurisdiction that have a phone: whom an emergency notice reaches by SMS (the phone in clear, for the
    outbox, which keeps it encrypted; never shown)."""
    households = (
        households_for(user)
        .filter(grid_id__in=list(grid_ids))
        .select_related(None)
        .select_related("house__building")
        .only("phone", "house__lon", "house__lat", "house__building__lon", "house__building__lat")
        .order_by("pk")
    )
    return [
        (h.pk, h.phone, house_point(h.house) if h.house is not None else None) for h in households if h.phone
    ]


@dataclass(frozen=True)
class HouseAtRisk:
    house_id: int
    address: str
    hazards: tuple[str, ...]  # 危房（D级）, 消防隐患…
    grid_id: int
    point: tuple[float, float] | None


DANGEROUS = Q(kind=Hazard.Kind.DANGEROUS_BUILDING, grade__in=["C", "D"]) | Q(kind=Hazard.Kind.FIRE)


def houses_at_risk(user, grid_ids) -> list[HouseAtRisk]:
    """Houses in these grids with an open danger to people in them: 危房 graded C or D, fire hazards."""
    hazards = (
        hazards_for(user)
        .filter(DANGEROUS, state=Hazard.State.OPEN, house__grid_id__in=list(grid_ids))
        .select_related("house__building")
        .order_by("house__grid_id", "house_id", "pk")
    )
    by_house: dict[int, tuple[House, list[str]]] = {}
    for h in hazards:
        label = f"{h.get_kind_display()}（{h.grade}级）" if h.grade else str(h.get_kind_display())
        by_house.setdefault(h.house_id, (h.house, []))[1].append(label)
    result = []
    for house, labels in by_house.values():
        result.append(HouseAtRisk(house.pk, house.address, tuple(labels), house.grid_id, house_point(house)))
    return result


def supervised_groups(user) -> list[SpecialGroup]:
    """The special groups the user's department supervises by law (the scene's `supervised_by`)."""
    department = getattr(getattr(user, "department", None), "key", None)
    if department is None or not user.has_perm(perms.VIEW_SUPERVISED):
        return []
    return [g for g in SpecialGroup.objects.order_by("order") if department in (g.supervised_by or [])]


def supervised_persons(user, *, group: str = "", q: str = "") -> QuerySet[Person]:
    """监管对象: the people in the register who belong now to a group the user's department supervises,
    in the whole area and nobody else; the caller audits the read (`audit_supervised_read`)."""
    groups = [g for g in supervised_groups(user) if not group or g.key == group]
    if not groups:
        return Person.objects.none()
    today = timezone.localdate()
    current = GroupMembership.objects.filter(group__in=groups, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    qs = in_register(Person.objects.filter(pk__in=current.values("person_id"))).select_related("grid")
    if q.strip():
        qs = qs.filter(name__contains=q.strip())
    return qs.prefetch_related("memberships__group").order_by("grid__path", "name", "pk")


def audit_supervised_read(user, *, what: str, count: int, group: str = "", q: str = "") -> None:
    """Every read of a supervised list (a page, an export, the API) leaves its record: who, which groups,
    how many people, what was searched."""
    audit.record(
        audit.Action.VIEW_SENSITIVE,
        actor=user,
        object_repr=_("监管对象（%(what)s）") % {"what": what},
        detail={
            "groups": [g.key for g in supervised_groups(user) if not group or g.key == group],
            "count": count,
            "q": q,
        },  # fmt: skip
    )


TAG_NEW, TAG_SKIP = "new", "skip"


@transaction.atomic
def answer_unknown_tags(answers: dict[str, str], *, by) -> list[str]:
    """A clerk's answer for each special group a ledger names and the scene does not know: the pk of a
    group they may see (remembered as that group's alias for every later ledger), TAG_NEW (a new group in
    the scene, for a user who may add one) or TAG_SKIP (not a special group: left out of this import).
    Returns the tags to skip. All or nothing."""
    visible = {str(g.pk): g for g in groups_for(by)}
    errors = {}
    for name, answer in answers.items():
        if answer == TAG_NEW and not by.has_perm(perms.ADD_GROUPS):
            errors[name] = error(_("您没有新增人群类别的权限，请对应到已有类别"), "not_allowed")
        elif answer not in (TAG_NEW, TAG_SKIP) and answer not in visible:
            errors[name] = error(_("请为这个标签选择一项"), "required")
    if errors:
        raise ValidationError(errors)
    skip = []
    for name, answer in answers.items():
        if answer == TAG_SKIP:
            skip.append(name)
        elif answer == TAG_NEW:
            order = (SpecialGroup.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
            key = "tag-" + hashlib.sha1(name.encode()).hexdigest()[:10]
            group, _new = SpecialGroup.objects.get_or_create(key=key, defaults={"name": name, "order": order})
            audit.record(audit.Action.CREATE, actor=by, obj=group, object_repr=f"人群类别 {name}（台账标签）")
        else:
            GroupAlias.objects.update_or_create(name=name, defaults={"group": visible[answer], "by": by})
            audit.record(
                audit.Action.CREATE,
                actor=by,
                object_type="registry.groupalias",
                object_repr=f"{name} → {visible[answer].name}",
            )
    return skip


def active_memberships(person: Person, user, on: date | None = None) -> QuerySet[GroupMembership]:
    on = on or today()
    return (
        person.memberships.filter(group__in=groups_for(user), start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .select_related("group")
    )


def households_where(
    *, groups=(), residences=(), hazards: bool = False, on: date | None = None
) -> QuerySet[Household]:
    """Active households selected by their members' special groups (on a day), their residence type and
    open hazards of their house; every active household when nothing is named. Not scoped: for rules
    that run over the whole deployment (visit schedules); pages scope the result themselves."""
    on = on or today()
    qs = Household.objects.filter(active=True)
    if groups:
        members = GroupMembership.objects.filter(
            Q(end__isnull=True) | Q(end__gt=on),
            group__key__in=list(groups),
            start__lte=on,
            person__status=Person.Status.ACTIVE,
        )
        qs = qs.filter(pk__in=members.values("person__household_id"))
    if residences:
        qs = qs.filter(residence__in=list(residences))
    if hazards:
        qs = qs.filter(house__in=Hazard.objects.filter(state=Hazard.State.OPEN).values("house_id"))
    return qs


def find_by_id_number(number: str, user) -> Person | None:
    """Exact search through the blind index, within the user's jurisdiction."""
    index = crypto.blind_index(number)
    if not index:
        return None
    # The unique index finds at most one row; no joins, no ordering: this is the hot path of search.
    return accounts.visible(Person.objects.filter(id_index=index), user).order_by().first()


def search_persons(
    user,
    *,
    text: str = "",
    group: str = "",
    hazard: str = "",
    residence: str = "",
    age_min: int | None = None,
    age_max: int | None = None,
    grid: Grid | None = None,
    status: str = Person.Status.ACTIVE,
    on: date | None = None,
) -> QuerySet[Person]:
    """The archive's person search: name or address text, exact ID number or phone, and filters.

    With `on`, the archive as it was that day: people registered by then and not yet moved out or
    dead, group memberships and ages of that day.
    """
    qs = persons_for(user)
    if grid is not None and on is not None:
        # the archive of a past day: the grid the household lived in then, not today's
        # (a household known only since a later day, as an imported ledger's, counts where it was first seen)
        held = Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        earlier = HouseholdGridHistory.objects.filter(
            household=OuterRef("household"), valid_from__lt=OuterRef("valid_from")
        )
        first_seen_later = Q(valid_from__gt=on) & ~Exists(earlier)
        then = HouseholdGridHistory.objects.filter(grid__in=grids.subtree_ids(grid)).filter(
            held | first_seen_later
        )
        qs = qs.filter(household__in=then.values("household_id"))
    elif grid is not None:
        qs = qs.filter(grid__in=grids.subtree_ids(grid))
    if on is not None:
        qs = qs.filter(registered_on__lte=on).filter(
            Q(status=Person.Status.ACTIVE) | Q(status_changed__gt=on)
        )
    elif status:
        qs = qs.filter(status=status)
    text = text.strip()
    if text:
        index = crypto.blind_index(text.upper())
        phone_index = crypto.blind_index(text)
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(household__house__address__icontains=text)
            | Q(id_index=index)
            | Q(phone_index=phone_index)
        )
    on = on or today()
    if group:
        g = groups_for(user).filter(key=group).first()
        if g is None:
            return qs.none()
        qs = qs.filter(
            Q(memberships__end__isnull=True) | Q(memberships__end__gt=on),
            memberships__group=g,
            memberships__start__lte=on,
        )
    if hazard:
        qs = qs.filter(
            household__house__hazards__kind=hazard, household__house__hazards__state=Hazard.State.OPEN
        )
    if residence:
        qs = qs.filter(household__residence=residence)
    if age_min is not None:
        qs = qs.filter(birth_date__lte=_years_before(on, age_min))
    if age_max is not None:
        qs = qs.filter(birth_date__gt=_years_before(on, age_max + 1))
    return qs.distinct() if (group or hazard) else qs


def _years_before(on: date, years: int) -> date:
    try:
        years = min(max(years, 0), on.year - 1)  # an age past any calendar's reach: the first year
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def age(person: Person, on: date | None = None) -> int | None:
    return age_on(person.birth_date, on or today()) if person.birth_date else None


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def group_counts(user, grid: Grid) -> list[tuple[SpecialGroup, int]]:
    """People in each special group the user may see, inside a grid's subtree, today."""
    on = today()
    grid_ids = grids.subtree_ids(grid)
    rows = (
        accounts.visible(GroupMembership.objects.all(), user, grid_field="person__grid")
        .filter(person__grid__in=grid_ids, person__status=Person.Status.ACTIVE, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .values("group")
        .annotate(n=Count("person", distinct=True))
    )
    counts = {r["group"]: r["n"] for r in rows}
    return [(g, counts.get(g.pk, 0)) for g in groups_for(user)]


@dataclass(frozen=True)
class OnScreen:
    label: str
    n: int
    link: str


SCREEN_COUNTS_SECONDS = 300


def _group_counts_kept(user, grid: Grid) -> list[tuple[SpecialGroup, int]]:
    """group_counts for a screen that asks every minute: kept until a membership changes (the key holds
    the newest change and their number) or five minutes pass (a person moving out shows by then).
    Counting a town's 61,000 memberships through a million persons took 0.2 s on SQLite, measured."""
    marks = GroupMembership.objects.aggregate(n=Count("pk"), last=Max("last_updated"))
    sensitive = user.has_perm(perms.VIEW_SENSITIVE_GROUPS)
    last = marks["last"].timestamp() if marks["last"] else 0
    key = f"registry:group-counts:{grid.pk}:{int(sensitive)}:{today():%Y%m%d}:{marks['n']}:{last}"
    kept = cache.get(key)
    if kept is None:
        kept = [(g.pk, n) for g, n in group_counts(user, grid)]
        cache.set(key, kept, SCREEN_COUNTS_SECONDS)
    groups = {g.pk: g for g in groups_for(user)}
    return [(groups[pk], n) for pk, n in kept if pk in groups]


def screen_counts(user, grid: Grid) -> tuple[list[OnScreen], OnScreen]:
    """The special groups' counts in a grid's subtree and its open hazards, for the leader's screen, each
    with the list it counts (the person list and the hazard list, filtered the same way)."""
    groups = [
        OnScreen(g.label, n, f"{reverse('registry:person_list')}?grid={grid.code}&group={g.key}")
        for g, n in _group_counts_kept(user, grid)
        if n
    ]
    hazards = hazards_for(user).filter(state=Hazard.State.OPEN, house__grid__in=grids.subtree_ids(grid))
    return groups, OnScreen(
        str(_("未整改隐患")),
        hazards.count(),
        f"{reverse('registry:hazard_list')}?grid={grid.code}&state=open",
    )


# --- writing -------------------------------------------------------------------------------------


def _check_grid(grid: Grid | None, by) -> Grid:
    """A write's target must be a grid the writer can see (moving a record out of reach is refused)."""
    if grid is None:
        raise invalid("grid", _("请选择网格"), "required")
    if by is not None and not accounts.can_see_grid(by, grid):
        raise invalid("grid", _("该网格不在您的辖区内"), "outside")
    if not grid.is_active:
        raise invalid("grid", _("该网格已停用"), "closed")
    return grid


@transaction.atomic
def create_building(
    *,
    grid: Grid,
    name: str,
    address: str,
    floors: int = 1,
    units: int = 1,
    lon: float | None = None,
    lat: float | None = None,
    by=None,
) -> Building:
    _check_grid(grid, by)
    if not address.strip():
        raise invalid("address", _("请填写地址"), "required")
    b = Building.objects.create(
        grid=grid,
        name=name.strip() or address.strip(),
        address=address.strip(),
        floors=floors,
        units=units,
        lon=lon,
        lat=lat,
    )
    audit.record(audit.Action.CREATE, actor=by, obj=b)
    return b


@transaction.atomic
def create_house(
    *,
    address: str,
    grid: Grid | None = None,
    building: Building | None = None,
    room: str = "",
    use: str = House.Use.OWN,
    area_m2: float | None = None,
    lon: float | None = None,
    lat: float | None = None,
    by=None,
) -> House:
    grid = _check_grid(building.grid if building is not None else grid, by)
    if not address.strip():
        raise invalid("address", _("请填写地址"), "required")
    if use not in House.Use.values:
        raise invalid("use", _("未知的房屋用途：%(use)s") % {"use": use}, "unknown")
    if area_m2 is not None and area_m2 <= 0:
        raise invalid("area_m2", _("面积应大于 0"), "out_of_range")
    house = House.objects.create(
        grid=grid,
        building=building,
        address=address.strip(),
        room=room,
        use=use,
        area_m2=area_m2,
        lon=lon if lon is not None else getattr(building, "lon", None),
        lat=lat if lat is not None else getattr(building, "lat", None),
    )
    audit.record(audit.Action.CREATE, actor=by, obj=house)
    return house


@transaction.atomic
def mark_hazard(
    house: House, *, kind: str, found_on: date | None = None, grade: str = "", note: str = "", by=None
) -> Hazard:
    if kind not in Hazard.Kind.values:
        raise invalid("kind", _("未知的隐患类型：%(kind)s") % {"kind": kind}, "unknown")
    grade = grade.strip().upper()
    if kind == Hazard.Kind.DANGEROUS_BUILDING and grade not in {"A", "B", "C", "D"}:
        raise invalid("grade", _("危房须注明鉴定等级（A–D）"), "required")
    found_on = found_on or today()
    if found_on > today():
        raise invalid("found_on", _("发现日期不能晚于今天"), "out_of_range")
    hazard = Hazard.objects.create(
        house=house,
        kind=kind,
        grade=grade if kind == Hazard.Kind.DANGEROUS_BUILDING else "",
        found_on=found_on,
        note=note,
    )
    audit.record(audit.Action.CREATE, actor=by, obj=hazard)
    signals.tell(house.households.values_list("pk", flat=True))
    return hazard


@transaction.atomic
def fix_hazard(hazard: Hazard, *, fixed_on: date | None = None, fixed_by: str = "", by=None) -> Hazard:
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if hazard.state == Hazard.State.FIXED:
        raise invalid("state", _("该隐患已整改"), "closed")
    fixed_on = fixed_on or today()
    if fixed_on < hazard.found_on:
        raise invalid("fixed_on", _("整改日期不能早于发现日期"), "out_of_range")
    hazard.state, hazard.fixed_on = Hazard.State.FIXED, fixed_on
    hazard.fixed_by = fixed_by.strip() or (str(by) if by else "")
    hazard.save()
    audit.record(audit.Action.UPDATE, actor=by, obj=hazard, detail={"state": "fixed"})
    signals.tell(hazard.house.households.values_list("pk", flat=True))
    return hazard


def next_household_number(grid: Grid) -> str:
    n = Household.objects.filter(number__startswith=grid.code).count() + 1
    while Household.objects.filter(number=f"{grid.code}{n:04d}").exists():
        n += 1
    return f"{grid.code}{n:04d}"


@transaction.atomic
def create_household(
    *,
    house: House | None = None,
    grid: Grid | None = None,
    number: str = "",
    residence: str = Household.Residence.REGISTERED,
    phone: str = "",
    since: date | None = None,
    by=None,
) -> Household:
    grid = house.grid if house is not None else grid
    _check_grid(grid, by)
    assert grid is not None
    if residence not in Household.Residence.values:
        raise invalid("residence", _("未知的户别：%(r)s") % {"r": residence}, "unknown")
    number = number.strip() or next_household_number(grid)
    if Household.objects.filter(number=number).exists():
        raise invalid("number", _("户号 %(n)s 已存在") % {"n": number}, "taken")
    phone = normalise_phone(phone)
    hh = Household.objects.create(
        grid=grid,
        house=house,
        number=number,
        residence=residence,
        phone=phone,
        phone_index=crypto.blind_index(phone) or "",
    )
    HouseholdGridHistory.objects.create(
        household=hh, grid=grid, house_address=house.address if house else "", valid_from=since or today()
    )
    audit.record(audit.Action.CREATE, actor=by, obj=hh)
    signals.tell([hh.pk])
    return hh


@transaction.atomic
def move_household(household: Household, *, house: House, on: date | None = None, by=None) -> Household:
    """The household moves to another house; its grid (and its members' grid) follow, with history."""
    on = on or today()
    _check_grid(house.grid, by)
    household = Household.objects.select_for_update().get(pk=household.pk)
    old_grid = household.grid_id
    current = HouseholdGridHistory.objects.filter(household=household, valid_to__isnull=True).first()
    if current is not None and on < current.valid_from:
        raise invalid(
            "on", _("迁移日期不能早于 %(d)s（入住日期）") % {"d": current.valid_from}, "out_of_range"
        )
    HouseholdGridHistory.objects.filter(household=household, valid_to__isnull=True).update(valid_to=on)
    HouseholdGridHistory.objects.create(
        household=household, grid=house.grid, house_address=house.address, valid_from=on
    )
    household.house, household.grid = house, house.grid
    household.save(update_fields=["house", "grid", "last_updated"])
    household.members.filter(status=Person.Status.ACTIVE).update(grid=house.grid)
    audit.record(
        audit.Action.UPDATE,
        actor=by,
        obj=household,
        detail={"moved": {"from_grid": old_grid, "to_grid": house.grid_id, "on": on.isoformat()}},
    )
    return household


@dataclass
class PersonIn:
    """What a form, the API or an import row gives to register a person."""

    name: str
    id_number: str = ""
    doc_type: str = Person.DocType.CITIZEN_ID
    phone: str = ""
    relation: str = Person.Relation.OTHER
    address: str = ""
    ethnicity: str = "汉族"
    education: str = ""
    occupation: str = ""
    employer: str = ""
    chronic_illness: str = ""
    disability_grade: str = ""
    political_status: str = ""
    sex: str = ""
    birth_date: date | None = None
    groups: tuple[str, ...] = ()


def clean_person(data: PersonIn) -> dict:
    """Validate one person's fields; raise ValidationError keyed by field (in Chinese)."""
    errors: dict[str, ValidationError] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = error(_("请填写姓名"), "required")
    fields: dict = {"name": name}
    if data.doc_type not in Person.DocType.values:
        errors["doc_type"] = error(_("未知的证件类型"), "unknown")
    if data.id_number.strip():
        try:
            info = parse_document(data.doc_type, data.id_number)
        except IdError as exc:
            errors["id_number"] = error(str(exc), "invalid")
        else:
            fields.update(id_number=info.number, id_index=crypto.blind_index(info.number))
            if info.birth_date:
                fields["birth_date"] = info.birth_date
                fields["sex"] = info.sex
    else:
        fields.update(id_number="", id_index=None)
    if "birth_date" not in fields:
        fields["birth_date"] = data.birth_date
        fields["sex"] = data.sex
    if fields.get("sex") and fields["sex"] not in Person.Sex.values:
        errors["sex"] = error(_("性别应为男或女"), "invalid")
    try:
        phone = normalise_phone(data.phone)
    except ValidationError:
        errors["phone"] = error(_("电话号码格式不正确：%(phone)s") % {"phone": data.phone}, "invalid")
        phone = ""
    fields.update(phone=phone, phone_index=crypto.blind_index(phone) or "")
    if data.relation not in Person.Relation.values:
        errors["relation"] = error(_("未知的与户主关系"), "unknown")
    if errors:
        raise ValidationError(errors)
    fields.update(
        relation=data.relation,
        address=data.address.strip(),
        ethnicity=data.ethnicity.strip(),
        education=data.education.strip(),
        occupation=data.occupation.strip(),
        employer=data.employer.strip(),
        chronic_illness=data.chronic_illness.strip(),
        disability_grade=data.disability_grade.strip(),
        political_status=data.political_status.strip(),
    )
    return fields


def _duplicate_error(index: str, by) -> ValidationError:
    existing = Person.objects.select_related("grid").filter(id_index=index).first()
    if existing is not None and by is not None and accounts.can_see_grid(by, existing.grid):
        return invalid(
            "id_number",
            _("该证件号已登记在“%(grid)s”（%(name)s）") % {"grid": existing.grid.name, "name": existing.name},
            "taken",
        )
    return invalid("id_number", _("该证件号已在系统中登记，请联系管理员核实"), "taken")


@transaction.atomic
def register_person(
    data: PersonIn,
    *,
    household: Household | None = None,
    grid: Grid | None = None,
    client_id: str | None = None,
    since: date | None = None,
    by=None,
) -> Person:
    """Register a person in a household (or in a grid). A retried phone submission (the same user's client
    id) returns the first; another user's client id is a new registration."""
    grid = _check_grid(household.grid if household is not None else grid, by)
    sender = idempotency.sender(by)
    if existing := idempotency.sent_before(Person.objects, client_id, sender):
        return existing
    fields = clean_person(data)
    if fields.get("id_index") and Person.objects.filter(id_index=fields["id_index"]).exists():
        raise _duplicate_error(fields["id_index"], by)
    groups = _resolve_groups(data.groups)
    try:
        with transaction.atomic():
            person = Person.objects.create(
                grid=grid, household=household, **idempotency.keyed(client_id, sender), **fields
            )
    except IntegrityError as exc:  # a concurrent registration of the same ID number or client id
        if again := idempotency.sent_before(Person.objects, client_id, sender):
            return again
        raise _duplicate_error(fields.get("id_index") or "", by) from exc
    if household is not None and data.relation == Person.Relation.HEAD and household.head_id is None:
        Household.objects.filter(pk=household.pk).update(head=person)
    for g in groups:
        GroupMembership.objects.create(
            person=person, group=g, start=since or today(), source=GroupMembership.Source.REGISTRATION
        )
    audit.record(audit.Action.CREATE, actor=by, obj=person, object_repr=person.name)
    if groups:
        signals.tell([person.household_id])
    return person


def _resolve_groups(keys) -> list[SpecialGroup]:
    keys = [k for k in keys if k]
    found = {g.key: g for g in SpecialGroup.objects.filter(key__in=keys)} | {
        g.name: g for g in SpecialGroup.objects.filter(name__in=keys)
    }
    missing = [k for k in keys if k not in found]
    if missing:
        raise invalid("groups", _("未知的人群类别：%(k)s") % {"k": "、".join(missing)}, "unknown")
    return [found[k] for k in keys]


EDITABLE = (
    "name",
    "phone",
    "address",
    "relation",
    "ethnicity",
    "education",
    "occupation",
    "employer",
    "chronic_illness",
    "disability_grade",
    "political_status",
)


@transaction.atomic
def update_person(person: Person, *, by=None, **changes) -> Person:
    """Correct a person's base information; the person's history keeps each old and new value (masked
    when shown), the audit record says which fields changed."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: error(_("该字段不能在此修改"), "not_allowed") for f in unknown})
    current = PersonIn(
        **{f: getattr(person, f) for f in EDITABLE},
        id_number="",
        sex=person.sex,
        birth_date=person.birth_date,
    )
    for k, v in changes.items():
        setattr(current, k, v if v is not None else "")
    fields = clean_person(current)
    changed = [f for f in EDITABLE if fields.get(f, getattr(person, f)) != getattr(person, f)]
    if "phone" in changed:
        person.phone_index = fields["phone_index"]
    before = {f: getattr(person, f) for f in changed}
    for f in changed:
        setattr(person, f, fields[f])
    if changed:
        person.save()
        ledger_refresh.keep_history(person, {f: (before[f], fields[f]) for f in changed}, by=by)
        audit.record(
            audit.Action.UPDATE, actor=by, obj=person, object_repr=person.name, detail={"fields": changed}
        )
    return person


@transaction.atomic
def set_status(person: Person, *, status: str, on: date | None = None, by=None) -> Person:
    """Moved out or died: the person leaves the active archive and their group memberships end."""
    if status not in Person.Status.values:
        raise invalid("status", _("未知的状态"), "unknown")
    on = on or today()
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.status, person.status_changed = status, on
    person.save(update_fields=["status", "status_changed", "last_updated"])
    if status != Person.Status.ACTIVE:
        person.memberships.filter(end__isnull=True).update(end=on)
    audit.record(
        audit.Action.UPDATE, actor=by, obj=person, object_repr=person.name, detail={"status": status}
    )
    signals.tell([person.household_id])
    return person


@transaction.atomic
def add_membership(
    person: Person,
    *,
    group: SpecialGroup,
    start: date | None = None,
    source: str = GroupMembership.Source.REGISTRATION,
    note: str = "",
    by=None,
) -> GroupMembership:
    start = start or today()
    if person.memberships.filter(group=group, end__isnull=True).exists():
        raise invalid("group", _("此人已在“%(g)s”中") % {"g": group.name}, "taken")
    m = GroupMembership.objects.create(person=person, group=group, start=start, source=source, note=note)
    audit.record(audit.Action.CREATE, actor=by, obj=m, object_repr=f"{person.name} {group.name}")
    signals.tell([person.household_id])
    return m


@transaction.atomic
def end_membership(membership: GroupMembership, *, end: date | None = None, by=None) -> GroupMembership:
    end = end or today()
    if membership.end is not None:
        raise invalid("end", _("该登记已结束"), "closed")
    if end < membership.start:
        raise invalid("end", _("结束日期不能早于起始日期"), "out_of_range")
    membership.end = end
    membership.save(update_fields=["end", "last_updated"])
    audit.record(
        audit.Action.UPDATE,
        actor=by,
        obj=membership,
        object_repr=str(membership),
        detail={"end": end.isoformat()},
    )
    signals.tell([membership.person.household_id])
    return membership


def unmask(person: Person, *, field: str, reason: str, by) -> str:
    """Show one personal field in full: needs the permission and a reason, and is audited."""
    if field not in PII_FIELDS:
        raise invalid("field", _("该字段不需要解除遮挡"), "not_allowed")
    _audit_unmasking(person, reason=reason, by=by, field=field)
    return getattr(person, field) or ""


def _audit_unmasking(person: Person, *, reason: str, by, **what) -> None:
    """The permission, a reason and an audit record: what every unmasking of a person's data needs."""
    if not by.has_perm(perms.UNMASK):
        raise PermissionDenied(perms.UNMASK)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise invalid("reason", _("请填写查看原因"), "required")
    audit.record(
        audit.Action.VIEW_SENSITIVE,
        actor=by,
        obj=person,
        object_repr=person.name,
        detail={**what, "reason": reason, "grid": person.grid.code},
    )


ORGANISATION_FIELDS = ("name", "kind", "credit_code", "contact", "phone", "address", "lon", "lat")


def _clean_organisation(values: dict, *, exclude: int | None = None) -> dict:
    """An organisation's fields checked (Chinese errors by field): name, kind, the credit code's check
    digit and that no other organisation holds it, the phone, the point."""
    errors = {}
    out = dict(values)
    out["name"] = (values.get("name") or "").strip()
    if not out["name"]:
        errors["name"] = error(_("请填写单位名称"), "required")
    if values.get("kind") not in Organisation.Kind.values:
        errors["kind"] = error(_("未知的单位类型"), "unknown")
    out["credit_code"] = None
    if (values.get("credit_code") or "").strip():
        try:
            out["credit_code"] = check_credit_code(values["credit_code"])
        except IdError as exc:
            errors["credit_code"] = error(str(exc), "invalid")
        else:
            taken = Organisation.objects.filter(credit_code=out["credit_code"])
            if exclude is not None:
                taken = taken.exclude(pk=exclude)
            if taken.exists():
                errors["credit_code"] = error(_("该统一社会信用代码已登记"), "taken")
    out["phone"] = normalise_phone(values.get("phone"))
    lon, lat = values.get("lon"), values.get("lat")
    if (lon is None) != (lat is None):
        errors["lon"] = error(_("经度和纬度须同时填写"), "required")
    elif lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors["lon"] = error(_("坐标超出经纬度范围"), "out_of_range")
    for f in ("contact", "address"):
        out[f] = (values.get(f) or "").strip()
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def register_organisation(*, grid: Grid, by=None, **values) -> Organisation:
    """A unit in a grid (驻区单位, 个体工商户…), entered on its page or through the API."""
    _check_grid(grid, by)
    unknown = set(values) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValidationError({f: error(_("未知的字段"), "unknown") for f in unknown})
    org = Organisation.objects.create(grid=grid, **_clean_organisation(values))
    audit.record(audit.Action.CREATE, actor=by, obj=org)
    return org


@transaction.atomic
def update_organisation(org: Organisation, *, by=None, grid: Grid | None = None, **changes) -> Organisation:
    """Correct an organisation (or move it to another grid of the user's); the audit says what changed."""
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValidationError({f: error(_("未知的字段"), "unknown") for f in unknown})
    if grid is not None and grid.pk != org.grid_id:
        _check_grid(grid, by)
        org.grid = grid
    values = {f: getattr(org, f) for f in ORGANISATION_FIELDS} | changes
    clean = _clean_organisation(values, exclude=org.pk)
    changed = [f for f in ORGANISATION_FIELDS if clean[f] != getattr(org, f)]
    for f in changed:
        setattr(org, f, clean[f])
    org.save()
    audit.record(audit.Action.UPDATE, actor=by, obj=org, detail={"fields": changed})
    return org


def history(person: Person) -> list[dict]:
    """The person's changed values, newest first, as their page shows them (personal data masked)."""
    groups = dict(SpecialGroup.objects.values_list("pk", "name"))
    out = []
    for c in person.changes.select_related("by"):
        if c.field == "groups":
            before, after = (
                "、".join(groups.get(int(g), "") for g in v.split(",") if g) for v in (c.before, c.after)
            )
        else:
            before, after = ledger_refresh.shown(c.field, c.before), ledger_refresh.shown(c.field, c.after)
        out.append(
            {"id": c.pk, "label": ledger_refresh.label(c.field), "before": before, "after": after,
             "changed": c.changed, "by": c.by, "source": c.get_source_display(),
             "sensitive": c.field in PII_FIELDS}
        )  # fmt: skip
    return out


def unmask_change(person: Person, change_id: int, *, reason: str, by) -> str:
    """A change of a personal field in full (old → new): the permission and a reason, audited as the
    person's own fields are."""
    change = person.changes.filter(pk=change_id, field__in=list(PII_FIELDS)).first()
    if change is None:
        raise invalid("change", _("该变更记录不需要解除遮挡"), "not_allowed")
    _audit_unmasking(person, reason=reason, by=by, field=change.field, history=change.pk)
    return f"{change.before or '—'} → {change.after or '—'}"


# --- key rotation ---------------------------------------------------------------------------------

ENCRYPTED: dict = {
    Person: ("id_number", "phone", "address", "registered_address"),
    Household: ("phone",),
    PersonChange: ("before", "after"),
}


def rows_on_old_keys() -> int:
    """How many encrypted values are not yet on the current key."""

    current = crypto.keyring().current
    total = 0
    for model, fields in ENCRYPTED.items():
        for f in fields:
            total += (
                model._default_manager.annotate(raw=Cast(f, TextField()))
                .exclude(raw="")
                .exclude(raw__startswith=f"{current}:")
                .count()
            )
    return total


def rotate_keys(*, batch: int = 1000, progress=None) -> int:
    """Re-encrypt every value written with an older key, a batch per transaction (no downtime:
    old and new keys are both readable meanwhile). Returns the number of rows rewritten."""

    current = crypto.keyring().current
    done = 0
    for model, fields in ENCRYPTED.items():
        stale = Q()
        for f in fields:
            stale |= ~Q(**{f"raw_{f}": ""}) & ~Q(**{f"raw_{f}__startswith": f"{current}:"})
        annotated = model._default_manager.annotate(
            **{f"raw_{f}": Cast(f, TextField()) for f in fields}
        ).filter(stale)
        while True:
            ids = list(annotated.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            with transaction.atomic():
                rows = list(model._default_manager.select_for_update().filter(pk__in=ids))
                model._default_manager.bulk_update(
                    rows, list(fields)
                )  # reading decrypted, saving re-encrypts
            done += len(rows)
            if progress:
                progress(done)
    audit.record(
        audit.Action.UPDATE,
        object_type="registry.keys",
        object_repr=f"re-encrypted {done} rows with key {current}",
    )
    return done


def address_base() -> list[tuple[str, float | None, float | None, int]]:
    """The standard address base (标准地址库): every house and building with a point, as
    (address, lon, lat, grid id), for matching addresses that come without a point (12345 orders)."""
    rows = list(
        House.objects.filter(lon__isnull=False, lat__isnull=False).values_list(
            "address", "lon", "lat", "grid_id"
        )
    )
    rows += list(
        Building.objects.filter(lon__isnull=False, lat__isnull=False).values_list(
            "address", "lon", "lat", "grid_id"
        )
    )
    return rows


def address_book() -> AddressBook:
    """The address base ready for matching written addresses: with the site's own area (the scene's
    `registry.address_area`, e.g. 福建省宁德市寿宁县) and each grid's chain of names, so that "寿宁县鳌阳镇
    北门村胜利街3号" and "敖东社区胜利街15号" are read as a clerk reads them."""
    from wangge.core.scenes import applied_section
    from wangge.registry.scene import RegistrySection

    section = applied_section("registry", RegistrySection)
    names = dict(grids.active_grids().values_list("path", "name"))
    chains = {
        pk: [
            names[path[:end]]
            for end in range(Grid.steplen, len(path) + 1, Grid.steplen)
            if path[:end] in names
        ]
        for pk, path in grids.active_grids().values_list("pk", "path")
    }
    return AddressBook(address_base(), area=section.address_area if section else "", grid_names=chains)


# --- verbs that live in their own modules, reachable from here (imported last: they use the above) ----

from wangge.registry.importing import (  # noqa: E402, F401
    auto_mapping,
    check_houses,
    check_ledger,
    check_organisations,
    commit_houses,
    commit_ledger,
    commit_organisations,
    forget_checked,
    import_ledger,
    missing_required,
    recheck,
)
from wangge.registry.importing import template_xlsx as ledger_template_xlsx  # noqa: E402, F401
from wangge.registry.selfservice import decide as decide_proposal  # noqa: E402, F401
from wangge.registry.selfservice import (  # noqa: E402, F401
    difference,
    household_of_resident,
    pending_for,
    propose,
    propose_from_visit,
)


def hazards_fixed(user, grid: Grid, start: date, end: date) -> tuple[int, int, str]:
    """Hazards of a grid's subtree that stood open at some time in [start, end], and of those the ones
    fixed within it: (fixed, open in the period, the list)."""
    standing = (
        hazards_for(user)
        .filter(house__grid__in=grids.subtree_ids(grid), found_on__lte=end)
        .filter(Q(state=Hazard.State.OPEN) | Q(fixed_on__gte=start))
    )
    fixed = standing.filter(state=Hazard.State.FIXED, fixed_on__gte=start, fixed_on__lte=end).count()
    return fixed, standing.count(), f"{reverse('registry:hazard_list')}?grid={grid.code}&state="
