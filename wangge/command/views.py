from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from wangge.command import permissions as perms
from wangge.command import services
from wangge.command.forms import AreaForm
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.grids import services as grids
from wangge.grids.jurisdiction import top_grids


def _grid_choices(user) -> list[tuple[str, str]]:
    """The user's grids that have a boundary, by their path, for choosing by hand."""
    choices = []
    for top in top_grids(user):
        for g in grids.subtree(top).exclude(boundary=None).order_by("path"):
            choices.append((g.code, ("· " * (g.depth - top.depth)) + g.name))
    return choices


@login_required
@permission_required(perms.SEARCH_AREA, raise_exception=True)
def emergency_area(request):
    """应急排查: draw an area (or choose grids, or a radius) and see at once every vulnerable person and
    dangerous house in it, with whom to call in each grid."""
    top = top_grids(request.user).first()
    form = AreaForm(request.GET or None, grid_choices=_grid_choices(request.user))
    found = None
    if request.GET and form.is_valid():
        try:
            found = services.find_in_area(
                request.user, services.area_from(request.user, **form.area_arguments())
            )
        except ValidationError as exc:  # said above the map, whichever way the area was given
            for messages in exc.message_dict.values():
                form.add_error(None, messages)
    if found is not None and request.GET.get("format") == "xlsx":
        return download(_workbook(found), "应急排查.xlsx")
    context = {"form": form, "found": found, "top": top}
    if found is not None:
        context["rows"] = {
            "people": [_row(found, p) for p in found.people],
            "unplaced": [_row(found, p) for p in found.unplaced],
            "houses": [{"house": h, "grid": found.grid_names.get(h.grid_id, "")} for h in found.houses],
        }
        context["map_data"] = {
            "area": found.area.as_geojson(),
            "people": [
                {"lon": p.point[0], "lat": p.point[1], "name": p.name} for p in found.people if p.point
            ],
            "houses": [
                {"lon": h.point[0], "lat": h.point[1], "name": h.address} for h in found.houses if h.point
            ],
        }
    return render(request, "command/emergency_area.html", context)


def _row(found, person) -> dict:
    return {
        "person": person,
        "grid": found.grid_names.get(person.grid_id, ""),
        "on_duty": "；".join(found.on_duty.get(person.grid_id, [])),
    }


def _workbook(found) -> bytes:
    headers = [
        _("姓名"),
        _("人群"),
        _("年龄"),
        _("手机号"),
        _("户号"),
        _("地址"),
        _("网格"),
        _("网格值守"),
        _("位置"),
    ]
    inside, unplaced = _("范围内"), _("位置未标注，请核实")
    rows = [
        [p.name, "、".join(p.groups), p.age or "", p.phone, p.household, p.address,
         found.grid_names.get(p.grid_id, ""), "；".join(found.on_duty.get(p.grid_id, [])), where]
        for people, where in ((found.people, inside), (found.unplaced, unplaced))
        for p in people
    ]  # fmt: skip
    return write_workbook(headers, rows, sheet=_("应急排查"))
