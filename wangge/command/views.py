from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.cases import services as cases_services
from wangge.command import analysis, services
from wangge.command import assessment as assess
from wangge.command import permissions as perms
from wangge.command import scene as command_scene
from wangge.command import screen as command_screen
from wangge.command.forms import (
    AreaForm,
    CheckForm,
    CloseForm,
    DecisionForm,
    DoneForm,
    GenerateForm,
    MeetingForm,
    NoticeForm,
    OperationForm,
    ShelterForm,
)
from wangge.command.models import AnalysisReport, Check, Decision, Operation
from wangge.core import dates
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal
from wangge.core.forms import tell as _tell
from wangge.core.pagination import paginate
from wangge.core.pdf import PdfUnavailable, render_pdf
from wangge.core.replica import replica_ok
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_grid_or_404, top_grids
from wangge.grids.models import Grid


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
    if found is not None and request.user.has_perm(perms.MANAGE_OPERATION):
        context["start_form"] = OperationForm(
            initial={"kind": Operation.Kind.TYPHOON},
            kinds=Operation.Kind.choices,
            shelters=_shelter_choices(request.user),
        )
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


# --- operations (应急行动) -------------------------------------------------------------------------


def _shelter_choices(user) -> list[tuple[int, str]]:
    return [(s.pk, f"{s.name}（{s.grid.name}，{s.capacity} 人）") for s in services.shelters_for(user)]


@login_required
@permission_required(perms.MANAGE_OPERATION, raise_exception=True)
@require_POST
def operation_start(request):
    """Start an operation over the area in the query string (the search just shown)."""
    area_form = AreaForm(request.GET, grid_choices=_grid_choices(request.user))
    form = OperationForm(request.POST, kinds=Operation.Kind.choices, shelters=_shelter_choices(request.user))
    try:
        if not area_form.is_valid():
            raise refusal(area_form)
        if not form.is_valid():
            raise refusal(form)
        area = services.area_from(request.user, **area_form.area_arguments())
        d = form.cleaned_data
        operation = services.start_operation(request.user, area, title=d["title"], kind=d["kind"],
                                             drill=d["drill"], shelter_ids=d["shelters"])  # fmt: skip
    except ValidationError as exc:
        _tell(request, exc)
        return redirect(f"{reverse('command:emergency_area')}?{request.GET.urlencode()}")
    messages.success(request, _("应急行动已发起：%(n)s 人待排查") % {"n": operation.checks.count()})
    return redirect("command:operation_detail", pk=operation.pk)


@login_required
@permission_required(perms.WORK_OPERATION, raise_exception=True)
def operation_list(request):
    operations = services.operations_for(request.user)
    state = request.GET.get("status", "")
    if state in Operation.Status.values:
        operations = operations.filter(status=state)
    if q := request.GET.get("q", "").strip():
        operations = operations.filter(title__icontains=q)
    if request.GET.get("format") == "xlsx":
        rows = [[o.title, o.get_kind_display(), _("是") if o.drill else "", o.get_status_display(),
                 o.area_described, localtime(o.started_at).strftime("%Y-%m-%d %H:%M"),
                 localtime(o.closed_at).strftime("%Y-%m-%d %H:%M") if o.closed_at else ""]
                for o in operations[:10_000]]  # fmt: skip
        headers = [_("名称"), _("类型"), _("演练"), _("状态"), _("范围"), _("开始时间"), _("结束时间")]
        return download(write_workbook(headers, rows, sheet=_("应急行动")), "应急行动.xlsx")
    page, query = paginate(request, operations)
    context = {"page": page, "query": query, "statuses": Operation.Status.choices, "status": state}
    return render(request, "command/operation_list.html", context)


@login_required
@permission_required(perms.WORK_OPERATION, raise_exception=True)
def operation_detail(request, pk: int):
    """The operation on one page: the board (refreshing itself), the checklist of the user's grids with a
    quick update on each line (kept on the phone when offline), shelters, notices and closing."""
    operation = services.get_operation_or_404(request.user, pk)
    board = services.board(request.user, operation)
    if request.htmx and request.GET.get("part") == "board":
        return render(
            request, "command/operation_detail.html#board", {"operation": operation, "board": board}
        )
    grid_id = _int(request.GET.get("grid"))
    state = request.GET.get("state", "")
    state = state if state in Check.State.values else ""
    checks = services.checklist_checks(request.user, operation, grid_id=grid_id, state=state)
    if request.GET.get("format") == "xlsx":
        lines = services.lines(request.user, checks)
        return download(_operation_workbook(operation, lines), f"{operation.title}.xlsx")
    page, query = paginate(request, checks)
    can_manage = request.user.has_perm(perms.MANAGE_OPERATION)
    context = {
        "operation": operation,
        "board": board,
        "lines": services.lines(request.user, page.object_list),
        "page": page,
        "query": query,
        "states": Check.State.choices,
        "state": state,
        "grid_id": grid_id,
        "houses": services.houses_for(request.user, operation),
        "shelters": operation.shelters.order_by("name"),
        "notices": operation.notices.select_related("sent_by"),
        "can_manage": can_manage and operation.is_open,
        "area": operation.area,
        "summary_rows": [
            (g["name"], g["total"], [g["counts"].get(s, 0) for s in Check.State.values])
            for g in operation.summary.get("grids", [])
        ],
    }
    if context["can_manage"]:
        grids_mine = [(g.pk, g.name) for g in _operation_grids(request.user, operation)]
        context |= {"shelter_form": ShelterForm(grids=grids_mine), "notice_form": NoticeForm(),
                    "close_form": CloseForm()}  # fmt: skip
    return render(request, "command/operation_detail.html", context)


def _int(raw) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _operation_grids(user, operation):
    """The grids the operation touched in the user's jurisdiction, and their parents up to the user's
    top: a shelter may be a community's."""
    touched = list(accounts.visible(operation.grids.all(), user, grid_field=""))
    ids = {g.pk for g in touched}
    for g in touched:
        ids.update(int(p) for p in g.path.strip("/").split("/") if p.isdigit())
    return accounts.visible(Grid.objects.filter(pk__in=ids), user, grid_field="").order_by("path")


@login_required
@permission_required(perms.WORK_OPERATION, raise_exception=True)
@require_POST
def check_update(request, pk: int, check_pk: int):
    """One line's update. Answers JSON to the phone's script (errors keyed by field, as a visit's) and
    redirects a plain form back to the list."""
    operation = services.get_operation_or_404(request.user, pk)
    check = get_object_or_404(services.checks_for(request.user, operation), pk=check_pk)
    check.operation = operation
    form = CheckForm(request.POST, states=Check.State.choices)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        update = services.record_check(
            check, state=d["state"], by=request.user, shelter_id=d["shelter"], note=d["note"],
            noted_at=d["noted_at"], client_id=d["client_id"],
        )  # fmt: skip
    except ValidationError as exc:
        if wants_json:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return JsonResponse({"errors": found}, status=400)
        _tell(request, exc)
        return redirect(_back(request, pk))
    if wants_json:
        return JsonResponse({"id": update.pk, "check": check.pk, "state": update.state})
    return redirect(_back(request, pk))


def _back(request, pk: int) -> str:
    """Where a plain form returns: the page of the operation it came from (its filters kept), never
    anywhere a posted `next` would send it."""
    page = reverse("command:operation_detail", args=[pk])
    back = request.POST.get("next", "")
    return back if back.startswith(page) else page


@login_required
@permission_required(perms.MANAGE_OPERATION, raise_exception=True)
@require_POST
def operation_shelter(request, pk: int):
    operation = services.get_operation_or_404(request.user, pk)
    grids_mine = [(g.pk, g.name) for g in _operation_grids(request.user, operation)]
    form = ShelterForm(request.POST, grids=grids_mine)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        grid = Grid.objects.get(pk=d["grid"])
        shelter = services.add_shelter(
            request.user, operation, grid=grid, name=d["name"], capacity=d["capacity"],
            address=d["address"], contact=d["contact"],
        )  # fmt: skip
        messages.success(request, _("已添加安置点：%(s)s") % {"s": shelter.name})
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:operation_detail", pk=pk)


@login_required
@permission_required(perms.MANAGE_OPERATION, raise_exception=True)
@require_POST
def operation_notice(request, pk: int):
    operation = services.get_operation_or_404(request.user, pk)
    form = NoticeForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        notice = services.send_notice(operation, text=form.cleaned_data["text"], by=request.user)
        messages.success(request, _("通知已发送给范围内 %(n)s 户") % {"n": notice.households})
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:operation_detail", pk=pk)


@login_required
@permission_required(perms.MANAGE_OPERATION, raise_exception=True)
@require_POST
def operation_close(request, pk: int):
    operation = services.get_operation_or_404(request.user, pk)
    form = CloseForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        services.close_operation(operation, by=request.user, note=form.cleaned_data["note"])
        messages.success(request, _("应急行动已结束，总结已保存"))
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:operation_detail", pk=pk)


def _operation_workbook(operation, lines) -> bytes:
    headers = [_("网格"), _("姓名"), _("人群"), _("年龄"), _("手机号"), _("地址"), _("状态"), _("安置点"),
               _("说明"), _("更新时间"), _("更新人")]  # fmt: skip
    rows = []
    for line in lines:
        c, p = line.check, line.person
        rows.append([
            c.grid.name, p.name if p else "", "、".join(p.groups) if p else "", (p.age or "") if p else "",
            p.phone if p else "", p.address if p else "", c.get_state_display(),
            c.shelter.name if c.shelter else "", c.note,
            localtime(c.noted_at).strftime("%Y-%m-%d %H:%M") if c.noted_at else "",
            str(c.noted_by) if c.noted_by else "",
        ])  # fmt: skip
    return write_workbook(headers, rows, sheet=_("排查清单"))


# --- 一屏管全城 ----------------------------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW_SCREEN, raise_exception=True)
@replica_ok
def screen(request, code: str = ""):
    """The leader's screen over the user's area (or one grid of it, by code): live counts, the month's
    rates, hot topics, visits, disputes, people and hazards, each a link to its list; it refreshes its
    figures every minute without reloading the page. `?wall=1`: the command-centre wall (1920×1080, dark)."""
    if not code and request.GET.get("grid"):  # the chooser without its script
        return redirect("command:screen_grid", code=request.GET["grid"])
    if code:
        grid = get_visible_grid_or_404(request.user, code)
    else:
        grid = top_grids(request.user).first()
        if grid is None:
            messages.error(request, _("您还没有辖区网格，请联系管理员。"))
            return redirect(f"{reverse('home')}?panels")
    data = command_screen.screen(request.user, grid)
    figures = command_screen.map_figures(request.user)
    colour_by = request.GET.get("by", "open_cases")
    if colour_by not in {f.key for f in figures}:
        colour_by = figures[0].key if figures else "level"
    context = {
        "grid": grid,
        "s": data,
        "wall": request.GET.get("wall") == "1",
        "figures": figures,
        "colour_by": colour_by,
        "colour_label": next((f.label for f in figures if f.key == colour_by), ""),
        "map_url": command_screen.map_url(grid),
        "choices": _screen_choices(request.user),
    }
    if request.htmx and request.GET.get("part") == "figures":
        return render(request, "command/screen.html#figures", context)
    return render(request, "command/screen.html", context)


def _screen_choices(user) -> list[tuple[str, str]]:
    """The user's grids down to two levels below their top, to look at one of them."""
    choices = []
    for top in top_grids(user):
        shown = grids.subtree(top).filter(depth__lte=top.depth + 2).only("code", "name", "depth")
        for g in shown.order_by("path"):
            choices.append((g.code, ("· " * (g.depth - top.depth)) + g.name))
    return choices[:500]


# --- 考核 ------------------------------------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW_ASSESSMENT, raise_exception=True)
@replica_ok
def assessment(request):
    """A grid's outcomes over the period (the user's top grid, or ?grid=code of their area), each part
    with its formula and the list behind it, and the same for each grid below it; the viewer's own record.
    Ranked only where the scene turns ranking on."""
    code = request.GET.get("grid", "")
    grid = get_visible_grid_or_404(request.user, code) if code else top_grids(request.user).first()
    if grid is None:
        messages.error(request, _("您还没有辖区网格，请联系管理员。"))
        return redirect(f"{reverse('home')}?panels")
    settings = command_scene.settings()
    month = dates.month_or_this(request.GET.get("month"))
    today = timezone.localdate()
    # this period up to today, or a past one whole
    start, end = assess.whole_period(month)
    if start <= today <= end or start > today:
        start, end = assess.period_of(today)
    mine = assess.assess(request.user, grid, start, end)
    below = [assess.assess(request.user, g, start, end) for g in grids.children(grid)[:60]]
    if settings.ranking:
        below.sort(key=lambda a: (a.score is None, -(a.score or 0)))
    if request.GET.get("format") == "xlsx":
        return download(_assessment_workbook([mine, *below]), f"考核_{grid.name}_{start:%Y%m}.xlsx")
    context = {
        "grid": grid, "a": mine, "below": below, "ranking": settings.ranking, "period": settings.period,
        "month": month.strftime("%Y-%m"), "start": start, "end": end,
        "record": assess.worker_record(request.user) if request.user.role in WORKER_ROLES else None,
        "choices": _screen_choices(request.user),
    }  # fmt: skip
    return render(request, "command/assessment.html", context)


WORKER_ROLES = ("grid_worker", "micro_grid_leader", "grid_leader")


def _assessment_workbook(rows) -> bytes:
    headers = [_("网格"), _("得分")] + [str(assess.PARTS[k][0]) for k in assess.PARTS]
    data = []
    for a in rows:
        by_key = {p.key: p for p in a.parts}
        data.append([a.grid.name, round(a.score, 2) if a.score is not None else "—"]
                    + [f"{by_key[k].num}/{by_key[k].den}" for k in assess.PARTS])  # fmt: skip
    return write_workbook(headers, data, sheet=_("考核"))


# --- 日报告 / 周研判 / 月分析 -------------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW_REPORTS, raise_exception=True)
@replica_ok
def report_list(request):
    reports = services.reports_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in AnalysisReport.Kind.values:
        reports = reports.filter(kind=kind)
    if code := request.GET.get("grid", ""):
        reports = reports.filter(grid__code=code)
    page, query = paginate(request, reports)
    form = None
    if request.user.has_perm(perms.MANAGE_REPORTS):
        form = GenerateForm(kinds=AnalysisReport.Kind.choices, grids=_screen_choices(request.user))
    context = {"page": page, "query": query, "kinds": AnalysisReport.Kind.choices, "kind": kind, "form": form,
               "choices": _screen_choices(request.user)}  # fmt: skip
    return render(request, "command/report_list.html", context)


@login_required
@permission_required(perms.MANAGE_REPORTS, raise_exception=True)
@require_POST
def report_generate(request):
    """Generate a report now (the last whole period before the day given): a new version if it exists."""
    form = GenerateForm(request.POST, kinds=AnalysisReport.Kind.choices, grids=_screen_choices(request.user))
    if not form.is_valid():
        _tell(request, refusal(form))
        return redirect("command:report_list")
    grid = get_visible_grid_or_404(request.user, form.cleaned_data["grid"])
    kind = form.cleaned_data["kind"]
    start, end = analysis.period_for(kind, form.cleaned_data["on"] or timezone.localdate())
    report = analysis.generate(grid, kind, start, end, by=request.user)
    messages.success(
        request, _("报告已生成：%(t)s（第 %(v)s 版）") % {"t": report.title, "v": report.version}
    )
    return redirect("command:report_detail", pk=report.pk)


@login_required
@permission_required(perms.VIEW_REPORTS, raise_exception=True)
def report_detail(request, pk: int):
    """The report as issued: a page, a PDF (?format=pdf) and an Excel workbook (?format=xlsx); for a
    weekly review, its meetings and decisions."""
    report = services.get_report_or_404(request.user, pk)
    fmt = request.GET.get("format")
    if fmt == "xlsx":
        return download(_report_workbook(report), f"{report.title}.xlsx")
    context = {"report": report, "c": report.content, "pdf": fmt == "pdf"}
    if fmt == "pdf":
        html = render_to_string("command/report_pdf.html", context, request=request)
        try:
            return download(render_pdf(html), f"{report.title}.pdf", "application/pdf", inline=True)
        except PdfUnavailable as exc:
            messages.error(request, str(exc))
            return redirect("command:report_detail", pk=pk)
    versions = AnalysisReport.objects.filter(kind=report.kind, grid=report.grid, start=report.start).order_by(
        "version"
    )
    context |= {"versions": versions, "meetings": report.meetings.prefetch_related("decisions__owner")}
    if report.kind == AnalysisReport.Kind.WEEKLY and request.user.has_perm(perms.MANAGE_REPORTS):
        context |= {"meeting_form": MeetingForm(initial={"held_on": timezone.localdate()}),
                    "decision_form": _decision_form(request.user, report)}  # fmt: skip
    return render(request, "command/report_detail.html", context)


def _decision_form(user, report, data=None) -> DecisionForm:
    owners = [(u.pk, str(u)) for u in accounts_users_of(report.grid)]
    categories = [(c.key, f"{c.parent.name} / {c.name}") for c in cases_services.categories()]
    return DecisionForm(data, kinds=Decision.Kind.choices, categories=categories, owners=owners)


def accounts_users_of(grid):
    """Who may own a task of this grid: the people holding a role or a scope on it, on a grid above it, or
    on one of its children (a community's staff, for a town's decision)."""
    found: dict[int, User] = {}
    for g in [*grids.chain(grid), *grids.children(grid)[:50]]:
        for u in accounts.unit_users(grid_id=g.pk).exclude(role="resident")[:100]:
            found[u.pk] = u
    return sorted(found.values(), key=str)[:100]


@login_required
@permission_required(perms.MANAGE_REPORTS, raise_exception=True)
@require_POST
def meeting_record(request, pk: int):
    report = services.get_report_or_404(request.user, pk)
    form = MeetingForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        services.record_meeting(report, held_on=d["held_on"], attendees=d["attendees"], minutes=d["minutes"],
                                by=request.user)  # fmt: skip
        messages.success(request, _("研判会议已记录"))
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:report_detail", pk=pk)


@login_required
@permission_required(perms.MANAGE_REPORTS, raise_exception=True)
@require_POST
def decision_add(request, pk: int, meeting_pk: int):
    report = services.get_report_or_404(request.user, pk)
    meeting = get_object_or_404(report.meetings, pk=meeting_pk)
    form = _decision_form(request.user, report, request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        owner = User.objects.filter(pk=d["owner"]).first() if d["owner"] else None
        decision = services.add_decision(
            meeting, text=d["text"], kind=d["kind"], by=request.user, owner=owner, due_on=d["due_on"],
            category=d["category"],
        )  # fmt: skip
        messages.success(request, _("决定已记录") + (f"：{decision.case_code}" if decision.case_code else ""))
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:report_detail", pk=pk)


@login_required
@permission_required(perms.VIEW_REPORTS, raise_exception=True)
@replica_ok
def decision_list(request):
    """研判决定的落实: every decision of the meetings in the user's area, open first, each task's owner and
    date, each case's status."""
    decisions = services.decisions_for(request.user)
    state = request.GET.get("state", "")
    if state in Decision.State.values:
        decisions = decisions.filter(state=state)
    page, query = paginate(request, decisions)
    rows = [(d, services.case_state(request.user, d)) for d in page.object_list]
    context = {"page": page, "query": query, "rows": rows, "states": Decision.State.choices, "state": state,
               "done_form": DoneForm(), "today": timezone.localdate()}  # fmt: skip
    return render(request, "command/decision_list.html", context)


@login_required
@permission_required(perms.VIEW_REPORTS, raise_exception=True)
@require_POST
def decision_done(request, pk: int):
    decision = get_object_or_404(services.decisions_for(request.user), pk=pk)
    if decision.owner_id != request.user.pk and not request.user.has_perm(perms.MANAGE_REPORTS):
        raise PermissionDenied
    form = DoneForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        services.finish_decision(decision, note=form.cleaned_data["note"], by=request.user)
        messages.success(request, _("已标记为落实"))
    except ValidationError as exc:
        _tell(request, exc)
    return redirect("command:decision_list")


def _report_workbook(report) -> bytes:
    c = report.content
    headers = [_("项目"), _("名称"), _("数值"), _("上期"), _("说明")]
    rows = [
        [_("受理事件"), "", c["totals"]["received"], "", ""],
        [_("12345 工单"), "", c["totals"]["hotline"], "", ""],
    ]
    rows += [
        [_("类别"), r["name"], r["received"], "", _("其中 12345：%(n)s") % {"n": r["hotline"]}]
        for r in c["by_category"]
    ]
    rows += [
        [_("网格"), r["name"], r["received"], "", _("其中 12345：%(n)s") % {"n": r["hotline"]}]
        for r in c["by_grid"]
    ]
    rows += [
        [_("指标"), f["name"], _pct(f["value"]), _pct(f["before"]), f"{f['num']}/{f['den']}"]
        for f in c["figures"]
    ]
    rows += [[_("热点问题"), h["name"], h["n"], h["average"], ""] for h in c["hot_topics"]]
    rows += [[_("热点区域"), h["name"], h["n"], "", h["place"]] for h in c["hot_spots"]]
    rows += [[_("风险提示"), "", "", "", n] for n in c["notices"]]
    return write_workbook(headers, rows, sheet=report.get_kind_display())


def _pct(value) -> str:
    return f"{value * 100:.2f}%" if value is not None else "—"
