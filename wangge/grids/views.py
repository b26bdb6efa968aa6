import json
from datetime import date

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wangge.audit import services as audit
from wangge.core import permissions as perms
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import add_service_errors
from wangge.core.pagination import paginate
from wangge.grids import forms, importing, maps
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_or_404, top_grids, visible
from wangge.grids.models import Grid, GridLevel

TREE_PAGE = 200  # children shown at once when a tree node opens; the rest follow on request


def _grid(request, code: str) -> Grid:
    return get_visible_or_404(
        Grid.objects.select_related("level", "kind"), request.user, grid_field="", code=code
    )


def _on(request) -> date | None:
    raw = request.GET.get("on", "")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _search_qs(request):
    on = _on(request)
    qs = visible(grids.active_grids(on), request.user, grid_field="").select_related("level", "kind")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    level = request.GET.get("level", "")
    if level:
        qs = qs.filter(level__key=level)
    return qs.order_by("path"), q


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def tree(request):
    """The grid tree of the user's jurisdiction, with search; ?on=DATE shows it as it was."""
    on = _on(request)
    qs, q = _search_qs(request)
    searching = bool(q or request.GET.get("level"))
    page, query = paginate(request, qs) if searching else (None, "")
    return render(
        request,
        "grids/tree.html",
        {
            "roots": grids.mark_children(top_grids(request.user, on=on), on=on),
            "page": page,
            "query": query,
            "q": q,
            "on": on,
            "levels": GridLevel.objects.all(),
            "searching": searching,
        },
    )


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def tree_children(request, code: str):
    grid = _grid(request, code)
    on = _on(request)
    qs = grids.children(grid, on=on)
    try:
        offset = max(int(request.GET.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    page = grids.mark_children(qs[offset : offset + TREE_PAGE], on=on)  # 41,352 streets under one level
    more = max(qs.count() - offset - len(page), 0)
    return render(request, "grids/tree.html#children", {
        "children": page, "on": on, "more": more, "parent": grid, "next_offset": offset + TREE_PAGE,
    })  # fmt: skip


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def grid_list_xlsx(request):
    qs, _q = _search_qs(request)
    rows = (
        [
            g.name,
            g.code,
            g.level.name,
            g.kind.name if g.kind else "",
            g.households,
            round(g.area_m2),
            g.valid_from.isoformat(),
        ]
        for g in qs
    )
    data = write_workbook(
        ["名称", "编码", "层级", "类型", "户数", "面积（平方米）", "启用日期"], rows, sheet="网格"
    )
    audit.record(
        audit.Action.EXPORT,
        actor=request.user,
        object_type="grids.grid",
        object_repr="网格列表",
        detail=dict(request.GET),
    )
    return download(data, "grids.xlsx")


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def grid_detail(request, code: str):
    grid = _grid(request, code)
    children = grids.children(grid) if grid.is_active else Grid.objects.none()
    children_page, query = paginate(request, children)
    return render(
        request,
        "grids/grid_detail.html",
        {
            "grid": grid,
            "chain": grids.chain(grid)[:-1],
            "children": children_page,
            "children_count": children.count(),
            "query": query,
            "assignments": grids.active_assignments(grid),
            "predecessors": grid.predecessors.all(),
            "successors": grid.successors.all(),
            "boundary_history": grids.boundary_history(grid),
            "can_edit": request.user.has_perm(perms.EDIT_GRIDS),
            "can_assign": request.user.has_perm(perms.ASSIGN_ROLES),
        },
    )


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def grid_map(request, code: str):
    grid = _grid(request, code)
    depth = request.GET.get("depth", "3")
    figures = maps.figures_for(request.user)
    colour_by = request.GET.get("by", "level")
    if colour_by not in {"level", "kind", *(f.key for f in figures)}:
        colour_by = "level"
    context = {
        "grid": grid,
        "depth": depth,
        "colour_by": colour_by,
        "figures": figures,
        "layers": maps.layer_urls(request.user, grid),
    }
    return render(request, "grids/grid_map.html", context)


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def my_map(request):
    root = top_grids(request.user).first()
    if root is None:
        messages.error(request, _("您还没有辖区网格，请联系管理员。"))
        return redirect("grids:tree")
    return redirect("grids:grid_map", code=root.code)


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def grid_geojson(request, code: str):
    grid = _grid(request, code)
    try:
        depth = max(0, min(8, int(request.GET.get("depth", "1"))))
    except ValueError:
        depth = 1
    on = _on(request)
    collection = grids.subtree_geojson(grid, on=on, max_depth=depth)
    shown = grids.subtree(grid, on=on).filter(depth__lte=grid.depth + depth).only("code", "path")
    totals = maps.figure_totals(request.GET.get("figure", ""), request.user, shown)
    if totals is not None:  # the map coloured by a figure: each grid's total over its subtree
        for f in collection["features"]:
            f["properties"]["value"] = totals.get(f["properties"]["code"], 0)
    return JsonResponse(collection)


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def export_geojson(request, code: str):
    grid = _grid(request, code)
    data = json.dumps(grids.subtree_geojson(grid), ensure_ascii=False).encode()
    audit.record(audit.Action.EXPORT, actor=request.user, obj=grid, detail={"format": "geojson"})
    return download(data, f"grids-{grid.code}.geojson", "application/geo+json")


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def export_xlsx(request, code: str):
    grid = _grid(request, code)
    audit.record(audit.Action.EXPORT, actor=request.user, obj=grid, detail={"format": "xlsx"})
    return download(importing.export_xlsx(grid), f"grids-{grid.code}.xlsx")


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def coverage(request, code: str):
    grid = _grid(request, code)
    missing = grids.undrawn(grid)
    if request.GET.get("format") == "xlsx":  # the list to draw, or to fill in and import back by code
        rows = [[g.name, g.code, g.level.label] for g in missing[:100000]]
        return download(
            write_workbook(["名称", "编码", "层级"], rows, sheet="尚无边界"), f"undrawn-{grid.code}.xlsx"
        )
    result = grids.coverage(grid)
    overlay = {"gaps": result.gaps, "overlaps": result.overlaps}
    page, query = paginate(request, missing)
    context = {"grid": grid, "cov": result, "overlay": overlay, "page": page, "query": query}
    return render(request, "grids/coverage.html", context)


@login_required
@permission_required(perms.VIEW_GRIDS, raise_exception=True)
def board(request, code: str):
    """The printable public board (公示牌): grid, outline, people in roles, QR to the reporting page."""
    grid = _grid(request, code)
    report_url = f"{settings.PUBLIC_BASE_URL}{reverse('report:start')}?grid={grid.code}"
    qr_svg = segno.make(report_url, error="m").svg_inline(scale=4)
    return render(
        request,
        "grids/board.html",
        {
            "grid": grid,
            "chain": grids.chain(grid),
            "assignments": grids.active_assignments(grid),
            "report_url": report_url,
            "qr_svg": qr_svg,
        },
    )


@login_required
@permission_required(perms.EDIT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grid_create(request, code: str):
    parent = _grid(request, code)
    form = forms.GridCreateForm(request.POST or None)
    next_levels = GridLevel.objects.filter(depth__gt=parent.level.depth)
    form.fields["level"].queryset = next_levels
    if request.method == "GET":
        form.initial["level"] = next_levels.first()
        form.initial["kind"] = parent.kind
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            grid = grids.create_grid(
                name=d["name"],
                level=d["level"],
                parent=parent,
                kind=d["kind"],
                code=d["code"],
                boundary=d["boundary"],
                households=d["households"],
                valid_from=d["valid_from"],
                repair=d["repair"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已新建网格 %(name)s") % {"name": grid.name})
            return redirect(grid)
    return render(request, "grids/form.html", {"form": form, "grid": parent, "title": _("新建下级网格")})


@login_required
@permission_required(perms.EDIT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grid_edit(request, code: str):
    grid = _grid(request, code)
    initial = {
        "name": grid.name,
        "kind": grid.kind,
        "households": grid.households,
        "boundary": json.dumps(grid.boundary) if grid.boundary else "",
    }
    form = forms.GridEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            grids.update_grid(
                grid,
                name=d["name"],
                kind=d["kind"],
                households=d["households"],
                boundary=d["boundary"],
                repair=d["repair"],
                boundary_from=d.get("boundary_from"),
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(grid)
    return render(request, "grids/form.html", {"form": form, "grid": grid, "title": _("修改网格")})


@login_required
@permission_required(perms.EDIT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grid_close(request, code: str):
    grid = _grid(request, code)
    form = forms.CloseForm(request.POST or None, initial={"on": grids.today()})
    if request.method == "POST" and form.is_valid():
        try:
            grids.close_grid(grid, on=form.cleaned_data["on"], by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已停用网格 %(name)s") % {"name": grid.name})
            return redirect(grid)
    return render(
        request, "grids/form.html", {"form": form, "grid": grid, "title": _("停用网格"), "danger": True}
    )


@login_required
@permission_required(perms.EDIT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grid_split(request, code: str):
    grid = _grid(request, code)
    form = forms.SplitForm(request.POST or None, initial={"on": grids.today()})
    if request.method == "POST" and form.is_valid():
        try:
            new = grids.split_grid(
                grid, pieces=form.cleaned_data["pieces"], on=form.cleaned_data["on"], by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已拆分为：%(names)s") % {"names": "、".join(g.name for g in new)})
            return redirect(new[0])
    return render(request, "grids/form.html", {"form": form, "grid": grid, "title": _("拆分网格")})


@login_required
@permission_required(perms.EDIT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grid_merge(request, code: str):
    """Merge some children of this grid into one."""
    parent = _grid(request, code)
    form = forms.MergeForm(
        request.POST or None, initial={"on": grids.today()}, choices=grids.children(parent)
    )
    if request.method == "POST" and form.is_valid():
        try:
            merged = grids.merge_grids(
                list(form.cleaned_data["grids"]),
                name=form.cleaned_data["name"],
                on=form.cleaned_data["on"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已合并为 %(name)s") % {"name": merged.name})
            return redirect(merged)
    return render(request, "grids/form.html", {"form": form, "grid": parent, "title": _("合并下级网格")})


@login_required
@permission_required(perms.ASSIGN_ROLES, raise_exception=True)
@require_http_methods(["GET", "POST"])
def assign_role(request, code: str):
    grid = _grid(request, code)
    form = forms.AssignRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        user = None
        if d["username"]:
            user = get_user_model().objects.filter(Q(username=d["username"]) | Q(phone=d["username"])).first()
            if user is None:
                form.add_error("username", _("找不到该账号"))
        if not form.errors:
            try:
                grids.assign_role(
                    grid,
                    role=d["role"],
                    person_name=d["person_name"],
                    user=user,
                    duty_phone=d["duty_phone"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已任命"))
                return redirect(grid)
    return render(request, "grids/form.html", {"form": form, "grid": grid, "title": _("任命网格角色")})


@login_required
@permission_required(perms.ASSIGN_ROLES, raise_exception=True)
@require_http_methods(["POST"])
def end_role(request, code: str, assignment_id: int):
    grid = _grid(request, code)
    assignment = get_visible_or_404(grids.active_assignments(grid), request.user, pk=assignment_id)
    grids.end_assignment(assignment, by=request.user)
    messages.success(request, _("已结束任职：%(name)s") % {"name": assignment.person_name})
    return redirect(grid)


@login_required
@permission_required(perms.IMPORT_GRIDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_view(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        parent = None
        if d["parent"]:
            parent = (
                visible(Grid.objects.select_related("level"), request.user, grid_field="")
                .filter(code=d["parent"])
                .first()
            )
            if parent is None:
                form.add_error("parent", _("找不到上级网格 %(code)s") % {"code": d["parent"]})
        if not form.errors:
            try:
                content = upload.read()
                if upload.name.lower().endswith(".xlsx"):
                    rows = importing.rows_from_xlsx(content)
                else:
                    try:
                        data = json.loads(content.decode("utf-8-sig"))
                    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                        raise invalid(
                            "file", _("文件不是有效的 GeoJSON：%(e)s") % {"e": exc}, "invalid"
                        ) from exc
                    rows = importing.rows_from_geojson(
                        data,
                        name_property=d["name_property"] or "name",
                        code_property=d["code_property"] or None,
                        parent_code_property=d["parent_code_property"] or None,
                    )
                report = importing.import_rows(
                    rows,
                    parent=parent,
                    level=d["level"],
                    dry_run=not d["commit"],
                    repair=d["repair"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            if report and report.committed:
                messages.success(request, _("已导入 %(n)s 个网格") % {"n": len(report.created)})
    return render(request, "grids/import.html", {"form": form, "report": report})
