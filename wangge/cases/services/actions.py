"""`perform`: one step of the loop by name, as the pages and the API send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from wangge.accounts.models import Department
from wangge.cases import permissions as perms
from wangge.cases.models import Case
from wangge.cases.services.access import _need
from wangge.cases.services.return_calls import return_call
from wangge.cases.services.workflow import (
    accept,
    add_note,
    cannot_solve,
    decide_extension,
    decide_request,
    dispatch,
    handle,
    handle_together,
    mark_duplicate,
    place,
    reject,
    request_extension,
    request_suspension,
    request_unsolvable,
    resume,
    return_case,
    site_visit,
    supervise,
    suspend,
    verify,
)
from wangge.core.errors import invalid
from wangge.grids.models import Grid


@dataclass
class StepIn:
    """What a form or an API call gives for one workflow step."""

    comment: str = ""
    reason: str = ""
    to_grid: Grid | None = None
    to_department: Department | None = None
    until: datetime | None = None
    of: Case | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    photos: tuple = ()


ACTIONS = tuple(
    "accept reject dispatch return note handle verify_pass verify_fail extend extend_approve extend_refuse "
    "suspend resume supervise unsolvable request_approve request_refuse duplicate place site_visit "
    "return_call handle_together".split()
)


def perform(case: Case, action: str, *, by, step: StepIn) -> Case:
    """Run the named step on the case (ValidationError in Chinese for an unknown step or missing input)."""
    c = step.comment
    if action == "accept":
        accept(case, by=by, comment=c)
    elif action == "reject":
        reject(case, by=by, reason=step.reason, comment=c)
    elif action == "dispatch":
        dispatch(case, by=by, to_grid=step.to_grid, to_department=step.to_department, comment=c)
    elif action == "return":
        return_case(case, by=by, comment=c)
    elif action == "note":
        add_note(case, by=by, comment=c, photos=step.photos)
    elif action == "handle":
        handle(case, by=by, comment=c, photos=step.photos)
    elif action in ("verify_pass", "verify_fail"):
        verify(case, by=by, passed=action == "verify_pass", comment=c, photos=step.photos)
    elif action == "extend":
        if step.until is None:
            raise invalid("until", _("请填写延期后的时限"), "required")
        request_extension(case, by=by, until=step.until, comment=c)
    elif action in ("extend_approve", "extend_refuse"):
        decide_extension(case, by=by, approve=action == "extend_approve", comment=c)
    elif action == "suspend":  # the centre suspends; a handler asks it to
        if by is None or by.has_perm(perms.SUPERVISE):
            suspend(case, by=by, comment=c)
        else:
            request_suspension(case, by=by, comment=c)
    elif action == "resume":
        resume(case, by=by, comment=c)
    elif action == "supervise":
        supervise(case, by=by, comment=c)
    elif action == "unsolvable":
        if by is None or by.has_perm(perms.SUPERVISE):
            cannot_solve(case, by=by, explanation=c)
        else:
            request_unsolvable(case, by=by, explanation=c)
    elif action in ("request_approve", "request_refuse"):
        decide_request(case, by=by, approve=action == "request_approve", comment=c)
    elif action == "duplicate":
        if step.of is None:
            raise invalid("of", _("请选择另一件原始事件"), "required")
        mark_duplicate(case, of=step.of, by=by, comment=c)
    elif action == "site_visit":  # 到场, recorded on the case itself (from the phone, at the place)
        site_visit(case, by=by, comment=_need(c, _("到场情况")))
    elif action == "return_call":  # the outcome in `reason`: satisfied / basic / unsatisfied / unreachable
        return_call(case, by=by, outcome=step.reason, comment=c)
    elif action == "handle_together":
        handle_together(case, by=by)
    elif action == "place":
        if step.lon is None or step.lat is None:
            raise invalid("lon", _("请在地图上点选位置"), "required")
        place(case, by=by, lon=step.lon, lat=step.lat, crs=step.crs)
    else:
        raise invalid("action", _("未知的操作：%(a)s") % {"a": action}, "unknown")
    return case
