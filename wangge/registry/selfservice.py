"""Residents correct their own household's base information; a grid worker confirms it first."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.core import idempotency
from wangge.core.errors import invalid
from wangge.registry import permissions as perms
from wangge.registry import services as registry
from wangge.registry.models import Household, Person, ProposedChange
from wangge.registry.models import Person as P

# What a resident may change about a member; ID numbers only for a new member.
RESIDENT_FIELDS = (
    "name",
    "phone",
    "address",
    "education",
    "occupation",
    "employer",
    "chronic_illness",
    "disability_grade",
    "political_status",
)
NEW_MEMBER_FIELDS = ("name", "id_number", "relation", "phone", "occupation")


def household_of_resident(user) -> Household | None:
    """The household a resident belongs to: the person whose phone is the account's phone."""
    person = registry.person_of_user(user)
    return person.household if person else None


@transaction.atomic
def propose(
    household: Household, *, by, person: Person | None = None, values: dict, client_id: str | None = None
) -> ProposedChange:
    """Record a resident's proposed change; nothing in the archive changes until a worker accepts it. A
    retry (the same user's client id) returns the first."""
    if household_of_resident(by) != household:
        raise PermissionDenied("not the resident's household")
    if existing := idempotency.sent_before(ProposedChange.objects, client_id, idempotency.sender(by)):
        return existing
    return _propose(household, by=by, person=person, values=values, client_id=client_id)


@transaction.atomic
def propose_from_visit(
    household: Household, *, by, person: Person | None, values: dict, client_id: str | None = None
) -> ProposedChange:
    """A correction a grid worker noted on a visit: it waits for confirmation like a resident's."""

    if not by.has_perm(perms.EDIT_ARCHIVE) or not accounts.can_see_grid(by, household.grid):
        raise PermissionDenied("outside jurisdiction")
    if existing := idempotency.sent_before(ProposedChange.objects, client_id, idempotency.sender(by)):
        return existing
    return _propose(household, by=by, person=person, values=values, client_id=client_id)


def _propose(household, *, by, person, values, client_id) -> ProposedChange:
    allowed = RESIDENT_FIELDS if person is not None else NEW_MEMBER_FIELDS
    values = {k: (v or "").strip() for k, v in values.items() if k in allowed}
    if person is not None and person.household_id != household.pk:
        raise PermissionDenied("not a member of the household")
    if person is None:
        registry.clean_person(registry.PersonIn(**{**values, "relation": values.get("relation") or "other"}))
    else:
        values = {k: v for k, v in values.items() if v != (getattr(person, k) or "")}
        if not values:
            raise invalid("__all__", _("没有需要修改的内容"), "wrong_state")
        registry.clean_person(
            registry.PersonIn(**{**{f: getattr(person, f) for f in RESIDENT_FIELDS}, **values})
        )
    change = ProposedChange.objects.create(
        household=household,
        grid=household.grid,
        person=person,
        submitted_by=by,
        data=json.dumps(values, ensure_ascii=False),
        **idempotency.keyed(client_id, idempotency.sender(by)),
    )
    audit.record(audit.Action.CREATE, actor=by, obj=change, object_repr=f"居民申报 {household.number}")
    return change


def pending_for(user):
    return accounts.visible(
        ProposedChange.objects.select_related("household", "person", "submitted_by"), user
    ).filter(status=ProposedChange.Status.PENDING)


def difference(change: ProposedChange) -> list[tuple[str, str, str]]:
    """(field label, current value, proposed value) for the worker to compare."""

    values = json.loads(change.data)
    rows = []
    for field, new in values.items():
        label = str(getattr(P._meta.get_field(field), "verbose_name", field))
        old = getattr(change.person, field, "") if change.person else ""
        rows.append((label, old or "", new))
    return rows


@transaction.atomic
def decide(change: ProposedChange, *, accept: bool, by, reason: str = "") -> ProposedChange:
    change = ProposedChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ProposedChange.Status.PENDING:
        raise invalid("status", _("该申报已处理"), "closed")
    if not accounts.can_see_grid(by, change.household.grid):
        raise PermissionDenied("outside jurisdiction")
    values = json.loads(change.data)
    if accept:
        if change.person is not None:
            registry.update_person(change.person, by=by, **values)
        else:
            registry.register_person(
                registry.PersonIn(**{**values, "relation": values.get("relation") or "other"}),
                household=change.household,
                by=by,
            )
    elif not reason.strip():
        raise invalid("reason", _("不采纳时请说明原因"), "required")
    change.status = ProposedChange.Status.ACCEPTED if accept else ProposedChange.Status.REJECTED
    change.decided_by, change.decided, change.reason = by, timezone.now(), reason.strip()
    change.save()
    audit.record(
        audit.Action.UPDATE,
        actor=by,
        obj=change,
        object_repr=f"居民申报 {change.household.number}",
        detail={"status": change.status},
    )
    return change
