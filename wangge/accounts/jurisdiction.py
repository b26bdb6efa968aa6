"""The one place that turns a user into a filter: every grid-bound query goes through `visible`."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from wangge.accounts.models import JurisdictionScope
from wangge.grids import services as grids

M = TypeVar("M", bound=Model)

# Roles that see the whole deployment.
WHOLE_AREA_ROLES = {"admin"}


def jurisdiction_paths(user) -> list[str]:
    """Tree paths of the subtrees a user may see (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_jurisdiction_paths", None)
    if cached is not None:
        return cached
    paths = set(JurisdictionScope.objects.filter(user=user).values_list("grid__path", flat=True))
    paths |= set(grids.grids_held_by(user).values_list("path", flat=True))
    # Drop paths already inside another one: fewer ranges, same rows.
    ordered = sorted(paths)
    kept: list[str] = []
    for p in ordered:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    user._jurisdiction_paths = kept
    return kept


def sees_everything(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", None) in WHOLE_AREA_ROLES)


def scope_q(user, *, grid_field: str = "grid") -> Q | None:
    """The Q limiting rows to the user's subtrees; None means no limit; an empty match means nothing."""
    if sees_everything(user):
        return None
    prefix = f"{grid_field}__" if grid_field else ""
    q = Q(pk__in=[])
    for path in jurisdiction_paths(user):
        q |= grids.subtree_q(path, prefix=prefix)
    return q


def visible(qs: QuerySet[M], user, *, grid_field: str = "grid") -> QuerySet[M]:
    """Limit a queryset of grid-bound rows (or of grids, with grid_field="") to the user's jurisdiction."""
    q = scope_q(user, grid_field=grid_field)
    if q is None:
        return qs
    paths = jurisdiction_paths(user)
    return qs.filter(q) if paths else qs.none()


def get_visible_or_404(qs: QuerySet[M], user, *, grid_field: str = "grid", **lookup) -> M:
    """One answer for "does not exist" and "not yours": 404."""
    try:
        return visible(qs, user, grid_field=grid_field).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def can_see_grid(user, grid) -> bool:
    if sees_everything(user):
        return True
    return any(grid.path.startswith(p) for p in jurisdiction_paths(user))
