"""The one place that turns a user into a filter: every grid-bound query goes through `visible`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from wangge.grids import services as grids
from wangge.grids.models import Grid

M = TypeVar("M", bound=Model)

# Roles that see the whole deployment.
WHOLE_AREA_ROLES = {"admin"}
# Up to this many grids, rows are filtered by a literal `grid_id IN (...)`, which SQLite and
# PostgreSQL answer from the rows' grid index (a unit grid's page: 1.1x the unscoped query, where a
# subquery made SQLite walk the whole table in id order). Beyond it, by a subquery on the grid paths:
# compiling a long literal list cost 1.5 ms of Python per query (224 grids, measured), and a large
# jurisdiction's rows are dense enough that any plan finds them fast.
MAX_LITERAL_IDS = 64


@dataclass(frozen=True)
class Jurisdiction:
    paths: list[str]  # tree paths of the subtrees, none inside another
    grid_ids: list[int] | None  # every grid in them (open or closed), or None when there are too many


def jurisdiction(user) -> Jurisdiction:
    """The user's subtrees, resolved once per request (cached on the user object)."""
    cached = getattr(user, "_jurisdiction", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        result = Jurisdiction([], [])
    else:
        paths = set(user.scopes.values_list("grid__path", flat=True))  # the JurisdictionScopes given to them
        paths |= set(grids.paths_held_by(user))
        kept: list[str] = []
        for p in sorted(paths):  # drop paths already inside another one: fewer ranges, same rows
            if not any(p.startswith(k) for k in kept):
                kept.append(p)
        ids = None
        if kept:
            found = list(
                Grid.objects.filter(_paths_q(kept)).values_list("id", flat=True)[: MAX_LITERAL_IDS + 1]
            )
            ids = found if len(found) <= MAX_LITERAL_IDS else None
        result = Jurisdiction(kept, ids if kept else [])
    user._jurisdiction = result
    return result


def forget(user) -> None:
    """Drop the cached jurisdiction (after granting or removing a scope within the same request)."""
    user.__dict__.pop("_jurisdiction", None)


def jurisdiction_paths(user) -> list[str]:
    return jurisdiction(user).paths


def sees_everything(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", None) in WHOLE_AREA_ROLES)


def _paths_q(paths: list[str], prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= grids.subtree_q(path, prefix=prefix)
    return q


def scope_q(user, *, grid_field: str = "grid", one: bool = False) -> Q | None:
    """The Q limiting rows to the user's subtrees; None means no limit. With `one`, for a query of a
    single row."""
    if sees_everything(user):
        return None
    j = jurisdiction(user)
    if not j.paths:
        return Q(pk__in=[])
    if not grid_field:
        return _paths_q(j.paths)
    if j.grid_ids is not None:
        return Q(**{f"{grid_field}_id__in": j.grid_ids})
    if one:
        # One row of a large jurisdiction: a join on the row's grid and its path (two index look-ups),
        # where the subquery below gathered every grid of the jurisdiction first (75 ms for a city
        # centre's 222,221 grids on PostgreSQL, measured)
        return _paths_q(j.paths, prefix=f"{grid_field}__")
    # Very large jurisdictions: a subquery on the path index (never a join on the path, which
    # SQLite answered with a scan of the whole row table: 2,400x slower at 1M rows).
    return Q(**{f"{grid_field}__in": Grid.objects.filter(_paths_q(j.paths)).values("id")})


def visible(
    qs: QuerySet[M], user, *, grid_field: str = "grid", also: Q | None = None, one: bool = False
) -> QuerySet[M]:
    """Limit a queryset of grid-bound rows (or of grids, with grid_field="") to the user's jurisdiction.

    `also` widens it with rows a module hands the user outside their grids (a case dispatched to the
    user's department); it is OR-ed with the jurisdiction, never replaces it. `one` says the query looks
    up a single row (a detail page, a permission check), which a join on its grid finds fastest."""
    q = scope_q(user, grid_field=grid_field, one=one)
    if q is None:
        return qs
    return qs.filter(q | also) if also is not None else qs.filter(q)


def get_visible_or_404(
    qs: QuerySet[M], user, *, grid_field: str = "grid", also: Q | None = None, **lookup
) -> M:
    """One answer for "does not exist" and "not yours": 404."""
    try:
        return visible(qs, user, grid_field=grid_field, also=also, one=True).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def can_see_grid(user, grid) -> bool:
    if sees_everything(user):
        return True
    return any(grid.path.startswith(p) for p in jurisdiction_paths(user))


def get_visible_grid_or_404(user, code: str) -> Grid:
    """A grid by its code, if the user may see it; 404 otherwise."""
    return get_visible_or_404(Grid.objects.select_related("level", "kind"), user, grid_field="", code=code)


def top_grids(user, *, on=None) -> QuerySet[Grid]:
    """The highest grids a user sees: the roots for administrators, else the tops of their subtrees."""
    qs = Grid.objects.select_related("level", "kind").filter(grids.active_q(on))
    if sees_everything(user):
        return qs.filter(depth=1).order_by("code")
    return qs.filter(path__in=jurisdiction_paths(user)).order_by("path")
