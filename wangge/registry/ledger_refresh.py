"""The monthly refresh of a ledger (月度更新): communities keep their ledger in Excel and send it again every
month. Persons are matched by ID number (or, without one, by name within their household), households by
number; the check says what would be added, what would change (field by field, old → new) and who is in
the archive but not in the file (moved out?); the commit applies exactly that, in one transaction, and
keeps every changed value in the person's history (PersonChange).

A blank cell leaves the archive's value as it is: a monthly ledger leaves out what the clerk did not fill
in far more often than it means "erase".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from wangge.audit import services as audit
from wangge.grids import jurisdiction
from wangge.grids.models import Grid
from wangge.registry import signals
from wangge.registry.models import GroupMembership, Household, Person, PersonChange, SpecialGroup
from wangge.registry.validators import mask_address, mask_phone

# person field -> the ledger column (mapping key) that says it
COMPARED = {
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "phone": "phone",
    "relation": "relation",
    "ethnicity": "ethnicity",
    "education": "education",
    "occupation": "occupation",
    "employer": "employer",
    "chronic_illness": "chronic_illness",
    "disability_grade": "disability_grade",
    "political_status": "political_status",
    "population_type": "population_type",
    "marital_status": "marital_status",
    "registered_address": "registered_address",
    "note": "note",
}
MASKED = {"phone": mask_phone, "registered_address": mask_address}
LABELS = {f.name: f.verbose_name for f in Person._meta.fields}  # lazy: in the page's language
CHOICES = {f.name: dict(f.flatchoices) for f in Person._meta.fields if f.choices}
OTHER_LABELS = {"household": "户号", "grid": "网格", "groups": "人群类别"}

if TYPE_CHECKING:
    from wangge.registry.importing import PreparedRow
CHUNK = 900  # SQLite's parameter limit on older builds


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    before: str  # shown as the page shows the field: choices by their label, personal data masked
    after: str


@dataclass
class PersonDiff:
    row: int
    person_id: int
    name: str
    fields: list[FieldDiff]


@dataclass(frozen=True)
class Missing:
    """A person of the archive whose household the ledger lists, but not them: moved out?"""

    person_id: int
    name: str
    household_number: str
    grid: str


@dataclass(frozen=True)
class AbsentHousehold:
    """A household of the ledger's grids that the ledger does not list at all: the ledger may cover part
    of a grid, or the household moved away (done on its page, never by a ledger)."""

    number: str
    grid: str
    persons: int


@dataclass
class Refresh:
    """What a refresh would do; the rows it changes carry their new values (`PreparedRow.changes`)."""

    changes: list[PersonDiff] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Missing] = field(default_factory=list)
    absent: list[AbsentHousehold] = field(default_factory=list)


def label(f: str) -> str:
    return str(OTHER_LABELS.get(f) or LABELS.get(f, f))


def shown(f: str, value) -> str:
    """A value as the person's page shows it: a choice by its label, a date as ISO, personal data masked."""
    if value is None or value == "":
        return ""
    if f in MASKED:
        return MASKED[f](str(value))
    if isinstance(value, date):
        return value.isoformat()
    if f in CHOICES:
        return str(CHOICES[f].get(value, value))
    return str(value)


def _chunks(items: list):
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


ARCHIVED = ("pk", "status", "grid_id", "grid__name", "household__number", *COMPARED)


def _archived(ids: list[int]) -> dict[int, dict]:
    """What the archive holds of these persons, the compared fields only, as plain dicts: a refresh of
    100,000 persons held 1.25 GB as model instances (measured)."""
    out: dict[int, dict] = {}
    for part in _chunks(ids):
        out.update((p["pk"], p) for p in Person.objects.filter(pk__in=part).values(*ARCHIVED))
    return out


def _active_groups(ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for part in _chunks(ids):
        rows = GroupMembership.objects.filter(person_id__in=part, end__isnull=True)
        for person_id, group_id in rows.values_list("person_id", "group_id"):
            out.setdefault(person_id, set()).add(group_id)
    return out


def _visible(user) -> Q | None:
    return None if user is None else jurisdiction.scope_q(user)


def match(
    prepared: list[PreparedRow], mapping: dict[str, int], user, err: Callable[[int, str, str], None]
) -> Refresh:
    """Pair the ledger's rows with the archive's persons and say what would change. A row whose person
    the archive holds outside the user's jurisdiction is an error that names nothing of that person."""
    refresh = Refresh()
    by_index = {p.person["id_index"]: p for p in prepared if p.person["id_index"]}
    matched: dict[int, PreparedRow] = {}  # person id -> row
    indexes = list(by_index)
    for part in _chunks(indexes):
        for idx, pk in Person.objects.filter(id_index__in=part).values_list("id_index", "pk"):
            matched[pk] = by_index[idx]
    # without an ID number: the same name in the same household, among those without one
    unnamed = {(p.household_number, p.person["name"]): p for p in prepared if not p.person["id_index"]}
    if unnamed:
        numbers = list({n for n, _name in unnamed})
        for part in _chunks(numbers):
            rows = Person.objects.filter(id_index__isnull=True, household__number__in=part)
            for pk, number, name in rows.values_list("pk", "household__number", "name"):
                if (number, name) in unnamed:
                    matched[pk] = unnamed[(number, name)]
    scope = _visible(user)
    mine = set(matched)
    if scope is not None:
        mine = set()
        for part in _chunks(list(matched)):
            mine.update(Person.objects.filter(scope, pk__in=part).values_list("pk", flat=True))
    for pk, row in matched.items():
        if pk not in mine:
            err(row.row, "id_number", "该证件号已在其他辖区的档案中登记：请由其所在网格办理迁入")
    persons = _archived(sorted(mine))
    groups_mapped = "groups" in mapping
    active = _active_groups(sorted(mine)) if groups_mapped else {}
    names = _Names(
        dict(SpecialGroup.objects.values_list("pk", "name")),
        dict(Grid.objects.filter(pk__in={p.grid_id for p in prepared}).values_list("pk", "name")),
    )
    for pk in sorted(mine, key=lambda k: matched[k].row):
        row, person = matched[pk], persons[pk]
        groups = active.get(pk, set())
        row.person_id = pk
        row.changes = _changes(row, person, mapping, groups if groups_mapped else None)
        if row.changes:
            diffs = [_diff(f, person, v, names, groups) for f, v in row.changes.items()]
            refresh.changes.append(PersonDiff(row.row, pk, person["name"], diffs))
        else:
            refresh.unchanged += 1
    refresh.missing, refresh.absent = _missing(prepared, set(matched), scope)
    return refresh


def _changes(
    row: PreparedRow, person: dict, mapping: dict[str, int], groups: set[int] | None
) -> dict[str, object]:
    new = row.person
    out: dict[str, object] = {}
    for f, column in COMPARED.items():
        if column not in mapping:
            continue
        value = new.get(f)
        if value is None or value == "":
            continue  # a blank cell leaves the archive's value
        if f == "relation" and not row.relation_written:
            continue  # a blank relation is stored as 其他 for a new person, and says nothing of an old one
        if value != person[f]:
            out[f] = value
    if row.grid_id != person["grid_id"]:
        out["grid"] = row.grid_id
    if row.household_number != person["household__number"]:
        out["household"] = row.household_number
    if groups is not None and row.groups and set(row.groups) != groups:
        out["groups"] = sorted(row.groups)
    if person["status"] != Person.Status.ACTIVE:
        out["status"] = Person.Status.ACTIVE.value
    return out


@dataclass(frozen=True)
class _Names:
    groups: dict[int, str]
    grids: dict[int, str]

    def of_groups(self, ids) -> str:
        return "、".join(sorted(self.groups.get(g, "") for g in ids))


def _diff(f: str, person: dict, value, names: _Names, groups: set[int]) -> FieldDiff:
    if f == "grid":
        return FieldDiff(f, label(f), person["grid__name"], names.grids.get(value, ""))
    if f == "household":
        return FieldDiff(f, label(f), person["household__number"] or "", str(value))
    if f == "groups":
        return FieldDiff(f, label(f), names.of_groups(groups), names.of_groups(value))
    return FieldDiff(f, label(f), shown(f, person[f]), shown(f, value))


def _missing(
    prepared: list[PreparedRow], matched: set[int], scope: Q | None
) -> tuple[list[Missing], list[AbsentHousehold]]:
    """The active persons of the ledger's grids it does not list: members of the households it lists
    (moved out?), and the households it does not list at all, counted."""
    listed = {p.household_number for p in prepared}
    qs = Person.objects.filter(grid_id__in={p.grid_id for p in prepared}, status=Person.Status.ACTIVE)
    if scope is not None:
        qs = qs.filter(scope)
    rows = qs.values_list("pk", "name", "household__number", "grid__name").order_by(
        "grid__name", "household__number", "pk"
    )
    missing: list[Missing] = []
    absent: dict[str, list] = {}
    for pk, name, number, grid in rows:
        if pk in matched:
            continue
        if number in listed:
            missing.append(Missing(pk, name, number, grid))
        else:
            absent.setdefault(number or "", [grid, 0])[1] += 1
    return missing, [AbsentHousehold(number, grid, n) for number, (grid, n) in absent.items()]


def apply(prepared: list, *, by=None, mark_missing: list[int] | None = None) -> tuple[int, int]:
    """Within the caller's transaction, after the new rows were written: every matched row's changes,
    each one kept in the person's history; with `mark_missing`, those persons marked moved out.
    Returns (persons changed, persons marked moved out)."""
    rows = [p for p in prepared if getattr(p, "person_id", None) and p.changes]
    now, today = timezone.now(), timezone.localdate()
    numbers = list({p.changes["household"] for p in rows if "household" in p.changes})
    households: dict[str, Household] = {}
    for part in _chunks(numbers):
        households.update((h.number, h) for h in Household.objects.filter(number__in=part))
    persons: dict[int, Person] = {}
    for part in _chunks([p.person_id for p in rows]):
        persons.update((x.pk, x) for x in Person.objects.select_for_update().filter(pk__in=part))
    history: list[PersonChange] = []
    touched: set[int | None] = set()

    def kept(person: Person, f: str, before, after) -> None:
        history.append(
            PersonChange(
                person=person, field=f, before=_raw(before), after=_raw(after), changed=now, by=by,
                source=PersonChange.Source.LEDGER,
            )
        )  # fmt: skip

    for row in rows:
        person = persons[row.person_id]
        touched.add(person.household_id)
        for f, value in row.changes.items():
            if f == "groups":
                _regroup(person, set(value), today, kept)
                continue
            if f == "household":
                household = households[value]
                kept(person, f, person.household.number if person.household else "", value)
                person.household = household
                touched.add(household.pk)
                continue
            if f == "grid":
                kept(person, f, person.grid_id, value)
                person.grid_id = value
                continue
            kept(person, f, getattr(person, f), value)
            setattr(person, f, value)
            if f == "phone":
                person.phone_index = row.person["phone_index"]
            if f == "status":
                person.status_changed = today
        person.save()
    moved = 0
    for part in _chunks(mark_missing or []):
        for person in Person.objects.select_for_update().filter(pk__in=part, status=Person.Status.ACTIVE):
            kept(person, "status", person.status, Person.Status.MOVED_OUT.value)
            person.status, person.status_changed = Person.Status.MOVED_OUT, today
            person.save(update_fields=["status", "status_changed", "last_updated"])
            GroupMembership.objects.filter(person=person, end__isnull=True).update(end=today)
            touched.add(person.household_id)
            moved += 1
    PersonChange.objects.bulk_create(history)
    if rows or moved:
        audit.record(
            audit.Action.UPDATE,
            actor=by,
            object_type="registry.person",
            object_repr=f"台账月度更新：修改 {len(rows)} 人，迁出 {moved} 人",
            detail={"changed": len(rows), "moved_out": moved},
        )
    signals.tell(touched, bulk=True)
    return len(rows), moved


def keep_history(person: Person, changes: dict[str, tuple[object, object]], *, by=None) -> None:
    """A correction's old and new values, kept in the person's history (update_person)."""
    PersonChange.objects.bulk_create(
        PersonChange(person=person, field=f, before=_raw(old), after=_raw(new), by=by)
        for f, (old, new) in changes.items()
    )


def _regroup(person: Person, wanted: set[int], today: date, kept) -> None:
    current = {m.group_id: m for m in GroupMembership.objects.filter(person=person, end__isnull=True)}
    for g in wanted - set(current):
        GroupMembership.objects.create(
            person=person, group_id=g, start=today, source=GroupMembership.Source.IMPORT
        )
    for g in set(current) - wanted:
        m = current[g]
        m.end = today
        m.save(update_fields=["end", "last_updated"])
    kept(person, "groups", ",".join(map(str, sorted(current))), ",".join(map(str, sorted(wanted))))


def _raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
