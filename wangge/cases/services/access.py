"""Who sees a case and who may act on it."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.cases import permissions as perms
from wangge.cases.models import Case, CaseEvent, CasePhoto
from wangge.core.errors import invalid
from wangge.grids import jurisdiction
from wangge.grids import services as grids
from wangge.grids.models import Grid

log = logging.getLogger(__name__)


def department_q(user) -> Q | None:
    """Cases dispatched to the user's department, now or before (their history stays theirs)."""
    if getattr(user, "department_id", None):
        return Q(handler_department_id=user.department_id) | Q(
            pk__in=CaseEvent.objects.filter(to_department_id=user.department_id).values("case_id")
        )
    return None


def visible_cases(user, *, one: bool = False, within: Grid | None = None) -> QuerySet[Case]:
    """Every case list, search, export and API answer starts here: the user's grids (and, for the
    centre, cases outside every grid), or what was dispatched to their department. `one` for a query of
    a single case (`jurisdiction.visible`); `within` for the cases of one grid's subtree."""
    qs = Case.objects.select_related(
        "category", "category__parent", "grid", "handler_grid", "handler_department"
    )
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perms.VIEW):
        return qs.none()
    if within is not None:
        # a grid of the user's brings its whole subtree: its cases are the subtree's, where the
        # jurisdiction's filter besides would gather every grid of it first (130 ms for a city's, measured)
        if not jurisdiction.can_see_grid(user, within):
            return qs.none()
        if grids.is_only_root(within):
            return qs.filter(grid__isnull=False)
        return qs.filter(grids.subtree_q(within.path, prefix="grid__"))
    also = department_q(user)
    if any(g.depth == 1 for g in jurisdiction.top_grids(user)):
        outside = Q(grid__isnull=True)
        also = outside if also is None else also | outside
    return jurisdiction.visible(qs, user, also=also, one=one)


def public_cases() -> QuerySet[Case]:
    """What may be shown to anyone (Open311): no cases of categories that need a visit to a family
    (disputes, hardship), which would put private matters on a public map."""
    return Case.objects.select_related("category", "handler_department", "handler_grid").filter(
        category__visit_required=False
    )


def public_photo(pk: int) -> CasePhoto | None:
    """A photo of a case the public may see (Open311's media_url); None for any other."""
    return CasePhoto.objects.filter(pk=pk, case__in=public_cases()).first()


def get_case_or_404(user, code: str) -> Case:
    """One answer for "no such case" and "not yours": 404."""

    case = visible_cases(user, one=True).filter(code=code).first()
    if case is None:
        raise Http404
    return case


def is_handler(user, case: Case) -> bool:
    if jurisdiction.sees_everything(user):
        return True
    if case.handler_department_id:
        return case.handler_department_id == getattr(user, "department_id", None)
    return case.handler_grid is not None and jurisdiction.can_see_grid(user, case.handler_grid)


def _require(user, perm: str, case: Case | None = None, *, handler: bool = False) -> None:
    if user is None:
        return  # the system itself (the sweep, modules raising cases)
    if not user.has_perm(perm):
        raise PermissionDenied(_("您没有此操作的权限"))
    if case is not None:
        if handler and not is_handler(user, case):
            raise PermissionDenied(_("该事件不在您这里办理"))
        if not visible_cases(user, one=True).filter(pk=case.pk).exists():
            raise PermissionDenied(_("该事件不在您的辖区内"))


def _need(comment: str, what: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise invalid("comment", _("请填写%(what)s") % {"what": what}, "required")
    return comment


def _from(case: Case, *allowed: str) -> None:
    if case.status not in allowed:
        raise invalid(
            "status",
            _("事件当前为“%(status)s”，不能进行此操作") % {"status": case.get_status_display()},
            "wrong_state",
        )


def figure_cases(user, grid_code: str = "") -> tuple[QuerySet[Case], Grid | None]:
    """The cases the figures count for a user: their jurisdiction, narrowed to a grid's subtree or, for
    a department without grids, to what was dispatched to it."""
    qs = visible_cases(user)
    unit = None
    if grid_code:
        unit = jurisdiction.get_visible_grid_or_404(user, grid_code)
        qs = visible_cases(user, within=unit)
    elif user.department_id and not jurisdiction.top_grids(user).exists():
        qs = qs.filter(department_q(user))
    return qs, unit
