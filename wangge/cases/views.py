"""Staff pages: the unit's queue, a case with its timeline and the actions open to the user, the worker's
随手拍, and photos behind the jurisdiction check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Department
from wangge.cases import calendar, hotline
from wangge.cases import figures as fig
from wangge.cases import permissions as perms
from wangge.cases import services as cases
from wangge.cases.figures import Period
from wangge.cases.filters import TABS, CaseFilter, in_queue_order
from wangge.cases.forms import CalendarDayForm, FigureScopeForm, HotlineImportForm, StepForm
from wangge.cases.models import Case, CasePhoto, WorkCalendarDay
from wangge.cases.public_views import _photo_response, report_form
from wangge.core.downloads import download
from wangge.core.excel import errors_workbook, write_workbook
from wangge.core.filters import without
from wangge.core.pagination import count_capped, paginate, shown_count
from wangge.core.replica import replica_ok
from wangge.grids import jurisdiction
from wangge.grids import services as grids
from wangge.grids.models import Grid
from wangge.registry import services as registry

S = Case.Status


@login_required
@permission_required(perms.VIEW, raise_exception=True)
@replica_ok
def queue(request):
    tab = request.GET.get("tab") or "reported"
    data = {"tab": tab, **without(request.GET.dict(), "tab")}
    everything = cases.visible_cases(request.user)
    # the tabs' counts: every filter but the tab's own
    unfiltered = CaseFilter({"mine": data.get("mine", "")}, queryset=everything, request=request).qs
    counts = {k: shown_count(count_capped(unfiltered.filter(q))) for k, _label, q in TABS if k != "all"}
    chosen = CaseFilter(data, queryset=everything, request=request)
    qs = in_queue_order(chosen.qs, tab)
    if request.GET.get("format") == "xlsx":
        return _export(qs, tab)
    page, query = paginate(request, qs)
    now = timezone.now()
    rows = [(c, cases.light(c, now)) for c in page]
    return render(
        request,
        "cases/queue.html",
        {
            "tabs": [(k, label, counts.get(k)) for k, label, _q in TABS],
            "tab": tab,
            "page": page,
            "rows": rows,
            "query": query,
            "q": data.get("q", ""),
            "filters": chosen,
            "categories": cases.categories(),
            "channels": Case.Channel.choices,
            "can_dispatch": request.user.has_perm(perms.ACCEPT),
            "calendar_missing": _calendar_missing() if request.user.has_perm(perms.MANAGE_CALENDAR) else [],
        },
    )


def _calendar_missing() -> list[int]:
    this = timezone.localdate().year
    return calendar.years_without_data([this, this + 1] if timezone.localdate().month >= 11 else [this])


def _export(qs, tab: str):
    headers = (
        "事件编号 热线工单编号 来源 大类 小类 问题描述 地址 所在网格 承办单位 状态 "
        "上报时间 本环节时限 是否超时 结果 评价"
    )

    rows = []
    for c in qs[:50000]:
        handler = (
            c.handler_department.name
            if c.handler_department
            else (c.handler_grid.name if c.handler_grid else "")
        )
        main = c.category.parent.name if c.category.parent else ""
        rows.append([
            c.code, c.hotline_number or "", c.get_channel_display(), main,
            c.category.name, c.description, c.address, c.grid.name if c.grid else "", handler,
            c.get_status_display(),
            timezone.localtime(c.created).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(c.stage_due_at).strftime("%Y-%m-%d %H:%M") if c.stage_due_at else "",
            "是" if c.overdue else "", c.get_outcome_display(), c.get_rating_display(),
        ])  # fmt: skip
    return download(write_workbook(headers.split(), rows, sheet="事件"), f"cases-{tab}.xlsx")


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def detail(request, code: str):
    case = cases.get_case_or_404(request.user, code)
    user = request.user
    events = case.events.select_related("to_grid", "to_department").prefetch_related("photos")
    handler = cases.is_handler(user, case)
    can = {
        "accept": user.has_perm(perms.ACCEPT) and case.status == S.REPORTED,
        "reject": user.has_perm(perms.ACCEPT) and case.status in (S.REPORTED, S.ACCEPTED),
        "dispatch": user.has_perm(perms.ACCEPT) and case.status == S.ACCEPTED,
        "note": handler and user.has_perm(perms.HANDLE) and case.status == S.DISPATCHED,
        "return": handler and bool(case.handler_department_id) and case.status == S.DISPATCHED,
        "verify": user.has_perm(perms.VERIFY) and case.status == S.HANDLED,
        "extend": handler and case.status == S.DISPATCHED and not case.extension_requested_until,
        "decide": user.has_perm(perms.SUPERVISE) and bool(case.extension_requested_until),
        "suspend": user.has_perm(perms.HANDLE)
        and case.status in (S.ACCEPTED, S.DISPATCHED)
        and not case.pending_request,
        "resume": user.has_perm(perms.HANDLE) and case.status == S.SUSPENDED,
        "supervise": user.has_perm(perms.SUPERVISE) and case.is_open and not case.supervised,
        "unsolvable": user.has_perm(perms.HANDLE)
        and case.status in (S.ACCEPTED, S.DISPATCHED, S.SUSPENDED, S.HANDLED)
        and not case.pending_request,
        # a handler asks; the centre decides (and may suspend or close at once)
        "decides": user.has_perm(perms.SUPERVISE),
        "site_visit": handler
        and case.category.visit_required
        and case.is_open
        and not case.events.filter(action=cases.A.SITE_VISIT).exists(),
        "decide_request": user.has_perm(perms.SUPERVISE) and bool(case.pending_request),
        "duplicate": user.has_perm(perms.ACCEPT) and case.is_open,
        "place": user.has_perm(perms.ACCEPT)
        and case.grid_id is None
        and case.status in (S.REPORTED, S.ACCEPTED),
    }
    dispute = cases.dispute_of(case) if cases.is_dispute(case) else None
    can["dispute"] = (
        cases.is_dispute(case) and dispute is None and case.is_open
        and (handler or user.has_perm(perms.ACCEPT)) and user.has_perm("mediation.add_dispute")
    )  # fmt: skip
    group = cases.repeat_group(case, user)
    can["handle_together"] = (
        user.has_perm(perms.ACCEPT) and case.is_open and group is not None and case.pk == getattr(
            group.first, "pk", None) and bool(group.waiting)
    )  # fmt: skip
    nearby = []
    if case.is_open and case.lon is not None and case.lat is not None and can["duplicate"]:
        nearby = [
            (c, d)
            for c, d in cases.nearby_open(case.lon, case.lat, case.category, case.description)
            if c.pk != case.pk
        ]
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "events": events,
            "can": can,
            "light": cases.light(case),
            "departments": Department.objects.all(),
            "reasons": cases.REJECT_REASONS.items(),
            "chain": _chain(case),
            "nearby": nearby,
            "group": group,
            "dispute": dispute,
            "answers": cases.answers(case),
            "risks": cases.DISPUTE_RISKS,
        },
    )


def _chain(case: Case) -> list[Grid]:
    return grids.chain(case.grid) if case.grid else list(grids.roots())


@login_required
@require_POST
def act(request, code: str, action: str):
    """One workflow step from the case page; errors come back as messages, nothing half-done."""
    case = cases.get_case_or_404(request.user, code)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(m for v in form.errors.values() for m in v))
        return redirect(case.get_absolute_url())
    step = form.step_in(request.user, request.FILES)
    try:
        cases.perform(case, action, by=request.user, step=step)
    except ValidationError as exc:
        messages.error(request, "；".join(m for v in exc.message_dict.values() for m in v))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您没有此操作的权限"))
    else:
        messages.success(request, _("已办理"))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)  # a step taken from a list (电话回访) goes back to the list
    return redirect(case.get_absolute_url())


@login_required
@require_POST
def dispute_open(request, code: str):
    """转入矛盾纠纷调解 from the case page: the parties named here, everything else from the case."""
    case = cases.get_case_or_404(request.user, code)
    parties = [
        p.strip() for p in request.POST.get("parties", "").replace("，", ",").replace("\n", ",").split(",")
    ]
    return _dispute_step(request, case, lambda: cases.open_dispute(
        case, by=request.user, parties=[p for p in parties if p], risk=request.POST.get("risk", "low"),
    ))  # fmt: skip


@login_required
@require_POST
def dispute_link(request, code: str):
    case = cases.get_case_or_404(request.user, code)
    number = request.POST.get("dispute", "").strip()
    if not number.isdigit():
        messages.error(request, _("请填写纠纷编号（数字）"))
        return redirect(case.get_absolute_url())
    return _dispute_step(
        request, case, lambda: cases.link_dispute(case, by=request.user, dispute_id=int(number))
    )


def _dispute_step(request, case: Case, step):
    try:
        dispute = step()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您没有此操作的权限"))
    else:
        messages.success(request, _("已转入矛盾纠纷调解，纠纷编号 %(n)s") % {"n": dispute.pk})
    return redirect(case.get_absolute_url())


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def today_points(request):
    """Today's cases in the user's area as GeoJSON points, for the small map on the home page."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    qs = cases.visible_cases(request.user).filter(created__gte=start, lon__isnull=False, lat__isnull=False)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
         "properties": {"name": c.category.name, "address": c.code,
                        "kind": "hazard" if c.overdue else "case"}}  # overdue ones in red
        for c in qs.select_related("category")[:500]
    ]  # fmt: skip
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@permission_required(perms.RETURN_CALL, raise_exception=True)
def return_calls(request):
    """电话回访: the closed cases whose reporter left a phone and has not rated them, longest closed first."""
    qs = cases.return_calls_due(request.user)
    if request.GET.get("format") == "xlsx":
        rows = [
            [c.code, c.hotline_number or "", c.category.name,
             f"{timezone.localtime(c.closed_at):%Y-%m-%d %H:%M}", c.answer,
             registry.mask_phone(c.reporter_phone), c.calls]
            for c in qs[:50000]
        ]  # fmt: skip
        headers = ["事件编号", "热线工单编号", "类别", "办结时间", "答复", "电话（遮挡）", "已回访次数"]
        return download(write_workbook(headers, rows, sheet="电话回访"), "return-calls.xlsx")
    page, query = paginate(request, qs)
    return render(
        request,
        "cases/return_calls.html",
        {"page": page, "query": query, "outcomes": list(cases.RETURN_CALL_OUTCOMES.items())},
    )


@login_required
@permission_required(perms.RETURN_CALL, raise_exception=True)
@require_POST
def call_phone(request, code: str):
    """The reporter's number in full, to dial (audited)."""
    case = cases.get_case_or_404(request.user, code)
    phone = cases.phone_to_call(case, by=request.user)
    return render(request, "cases/return_calls.html#phone", {"phone": phone})


@login_required
@permission_required(perms.ACCEPT, raise_exception=True)
@require_POST
def bulk_dispatch(request):
    """派遣 several accepted cases at once, each to the unit routing chose for it."""
    done, failed = 0, []
    for code in request.POST.getlist("codes"):
        case = cases.get_case_or_404(request.user, code)
        try:
            cases.dispatch(case, by=request.user)
            done += 1
        except ValidationError as exc:
            failed.append(f"{code}：{'；'.join(m for v in exc.message_dict.values() for m in v)}")
        except PermissionDenied as exc:
            failed.append(f"{code}：{exc}")
    if done:
        messages.success(request, _("已派遣 %(n)d 件") % {"n": done})
    for f in failed:
        messages.error(request, f)
    return redirect(f"{request.path.rsplit('/', 2)[0]}/?tab=accepted")


@login_required
@permission_required(perms.HANDLE, raise_exception=True)
def worker_report(request):
    """随手拍: a grid worker's report from the phone, optionally solved on the spot."""
    return report_form(request, channel=Case.Channel.WORKER, template="cases/worker_report.html")


@login_required
def photo(request, pk: int):
    p = get_object_or_404(CasePhoto.objects.select_related("case"), pk=pk)
    cases.get_case_or_404(request.user, p.case.code)  # 404 unless the user may see the case
    return _photo_response(p)


@login_required
@permission_required(perms.IMPORT_HOTLINE, raise_exception=True)
def hotline_import(request):
    """12345 work orders from the hotline centre's Excel: every bad row reported, nothing imported until
    fixed (or, by choice, the good rows imported and the bad ones returned as a file)."""

    report = None
    if request.GET.get("template"):
        return download(hotline.template_xlsx(), "12345-template.xlsx")
    if request.method == "POST":
        form = HotlineImportForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "；".join(m for v in form.errors.values() for m in v))
        else:
            d = form.cleaned_data
            report = hotline.import_orders(d["file"].read(), by=request.user, keep_good=d["keep_good"])
            if report.errors and d["errors_file"]:
                return download(errors_workbook(report.errors), "12345-errors.xlsx")
    return render(request, "cases/hotline_import.html", {"report": report})


@login_required
@permission_required(perms.IMPORT_HOTLINE, raise_exception=True)
def hotline_answers(request):
    """The answers back to the hotline centre, in its format (all hotline orders the user sees)."""

    qs = cases.visible_cases(request.user).filter(hotline_number__isnull=False)
    if request.GET.get("closed") == "1":
        qs = qs.filter(status__in=[S.CLOSED, S.REJECTED])
    return download(hotline.answers_xlsx(qs), "12345-answers.xlsx")


def _figure_scope(request):
    """The cases a figures page counts (cases.figure_cases) and the period (this month by default)."""
    scope = FigureScopeForm(request.GET.dict())
    start, end = scope.period()
    qs, unit = cases.figure_cases(request.user, scope.cleaned_data.get("grid", ""))
    return qs, Period(start, end), unit, scope.cleaned_data.get("leave_out_suspended", False)


@login_required
@permission_required(perms.VIEW_FIGURES, raise_exception=True)
@replica_ok
def figures(request):
    qs, period, unit, leave_out = _figure_scope(request)
    # one grid's figures from its daily tallies, as the screens show them (a district's month at city size:
    # 1.4 s counted from the cases, measured); the user's whole reach, which may hold cases dispatched to
    # their department, and the variant without suspended time are counted from the cases
    tallied = unit is not None and not leave_out
    if tallied:
        rows = cases.tallied_figures(unit, period)
    else:
        rows = fig.compute(qs, period, leave_out_suspended=leave_out)
    score = fig.hotline_score(rows)
    if request.GET.get("format") == "xlsx":
        data = [
            [f.name, f.formula, f.num, f.den, f"{f.value * 100:.2f}%" if f.value is not None else "—"]
            for f in rows
        ]
        data.append(
            [
                "12345 综合得分",
                "响应率×30% + 解决率×35% + 满意率×35%",
                "",
                "",
                f"{score * 100:.2f}" if score else "—",
            ]
        )
        return download(
            write_workbook(["指标", "公式", "分子", "分母", "值"], data, sheet="指标"), "figures.xlsx"
        )
    # 重复率 per grid: where callers ring again
    tops = [unit] if unit else list(jurisdiction.top_grids(request.user)[:20])
    below = [c for top in tops for c in grids.children(top)[:100]] or tops
    if tallied:
        repeats = cases.tallied_by_grid(below[:100], period, "repeat")
    else:
        repeats = fig.by_grid(qs, period, below[:100], "repeat")
    choices = []
    for top in jurisdiction.top_grids(request.user):
        choices += list(
            grids.subtree(top).filter(depth__lte=top.depth + 2).select_related("level").order_by("path")
        )
    params = request.GET.copy()
    params.pop("format", None)
    return render(
        request,
        "cases/figures.html",
        {
            "figures": rows,
            "tallied": tallied,
            "repeats": repeats,
            "score": score,
            "period": period,
            "unit": unit,
            "choices": choices,
            "leave_out": leave_out,
            "query": params.urlencode(),
            "weights": settings_weights(),
        },
    )


def settings_weights() -> str:

    return "/".join(str(w) for w in settings.HOTLINE_WEIGHTS)


@login_required
# the cases behind a figure are cases the user may see anyway (visible_cases): a worker opens those behind
# their own assessment; the figures' overview page stays with those who report on figures
@permission_required(perms.VIEW, raise_exception=True)
@replica_ok
def figure_cases(request, key: str, part: str):
    """The cases behind one figure's numerator or denominator."""

    qs, period, _unit, leave_out = _figure_scope(request)
    found = next((f for f in fig.compute(qs, period, leave_out_suspended=leave_out) if f.key == key), None)
    if found is None or part not in ("num", "den"):
        raise Http404
    chosen = (found.numerator if part == "num" else found.denominator).distinct().order_by("-created", "pk")
    if request.GET.get("format") == "xlsx":
        return _export(chosen, f"{key}-{part}")
    page, query = paginate(request, chosen)
    return render(
        request,
        "cases/figure_cases.html",
        {
            "figure": found,
            "part": part,
            "page": page,
            "query": query,
            "rows": [(c, cases.light(c)) for c in page],
        },
    )


@login_required
@permission_required(perms.MANAGE_CALENDAR, raise_exception=True)
def work_calendar(request):
    """The working-day calendar: seeded from the `holidays` package, corrected here when the State
    Council's schedule for next year is announced (or differs locally)."""

    try:
        year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    if request.method == "POST":
        form = CalendarDayForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(m for v in form.errors.values() for m in v))
        elif (d := form.cleaned_data)["seed"]:
            n = calendar.seed_from_holidays([year])
            messages.success(
                request,
                _("已按 holidays 包生成 %(year)d 年的节假日与调休（%(n)d 天）") % {"year": year, "n": n},
            )
        else:
            day = d["day"]
            if d["delete"]:
                calendar.clear_day(day)
            else:
                calendar.set_day(day, is_workday=d["is_workday"], name=d["name"])
            messages.success(request, _("已保存 %(day)s") % {"day": day})
        return redirect(f"{request.path}?year={year}")
    days = WorkCalendarDay.objects.filter(day__year=year)
    missing = calendar.years_without_data([year, year + 1])
    return render(request, "cases/calendar.html", {"year": year, "days": days, "missing": missing})
