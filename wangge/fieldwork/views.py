"""Field work pages: the worker's round and visit form (phone first, offline-capable), visits, coverage,
rules and campaigns. Thin: every verb is in services."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.accounts.models import Department
from wangge.cases import services as cases
from wangge.core import dates, photos
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal
from wangge.core.pagination import paginate
from wangge.fieldwork import patrols, services
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import scene as fieldwork_scene
from wangge.fieldwork.filters import ServiceFilter, VisitFilter
from wangge.fieldwork.forms import (
    CampaignForm,
    PatrolFindingForm,
    PatrolPlanForm,
    ServiceForm,
    ServiceStepForm,
    VisitForm,
)
from wangge.fieldwork.models import Finding, Mode, ServiceRecord, VisitPhoto, VisitRule
from wangge.grids import services as grids
from wangge.grids.models import Grid
from wangge.registry import services as registry


def _top_grid(user):
    """The grid a figure page starts from: the user's widest grid (or the root for the whole area)."""
    return accounts.top_grids(user).first()


ROUND_ON_ONE_PAGE = 300  # households; more are shown as a table of grids to drill into


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def round_page(request):
    """Today's round on the phone: overdue, due today, due this week, done; by building."""
    tab = request.GET.get("tab", "today")
    if tab not in services.TABS:
        tab = "today"
    done = services.done_for(request.user)
    week = services.due_count(request.user, "week")
    context = {"tab": tab, "summary": services.summary(request.user), "tabs": services.TABS,
               "week_count": week, "done_count": done.count()}  # fmt: skip
    grid = None
    if request.GET.get("grid"):
        grid = (
            accounts.visible(Grid.objects.all(), request.user, grid_field="")
            .filter(code=request.GET["grid"])
            .first()
        )
        if grid is None:
            raise Http404
    if tab == "done":
        page, query = paginate(request, done)
        context |= {"page": page, "query": query}
    elif services.due_count(request.user, tab, grid=grid) > ROUND_ON_ONE_PAGE:
        # a centre's or a community's round: how many are due in each grid below, to drill into
        top = grid or _top_grid(request.user)
        below = list(grids.children(top)) if top else []
        context |= {"by_grid": services.due_by_grid(request.user, tab, below), "grid": grid}
    else:
        stops = services.round_for(request.user, tab, grid=grid)
        context |= {
            "groups": services.stops_by_building(stops),
            "count": len(stops),
            # the map: the grid's outline and its buildings under the households due, labelled by room
            "map_grid": grid or _top_grid(request.user),
            "points": [
                {
                    "lon": s.point[0],
                    "lat": s.point[1],
                    "label": s.household.house.address if s.household.house else s.household.number,
                    "short": (s.household.house.room if s.household.house else "") or s.household.number,
                    "building": s.building,
                    "url": reverse("fieldwork:visit_form", args=[s.household.pk]),
                    "late": s.overdue,
                }
                for s in stops
                if s.point
            ],
            "must_visit": services.must_visit(request.user)[:50],
            "now": timezone.now(),
        }
    return render(request, "fieldwork/round.html", context)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@permission_required(perms.RECORD, raise_exception=True)
def visit_form(request, household_id: int):
    """Record a visit: one tap for an ordinary visit with nothing found; findings when there are some.
    The page's script sends it, or keeps it on the phone until the connection returns."""
    household = registry.households_for(request.user).filter(pk=household_id).first()
    if household is None:
        if _wants_json(request):
            return JsonResponse(
                {"errors": {"household": [_("找不到该户，或该户不在您的网格内")]}}, status=404
            )
        raise Http404
    errors: dict = {}
    if request.method == "POST":
        form = VisitForm(request.POST)
        try:
            if not form.is_valid():
                raise refusal(form)
            visit = services.record_visit(
                form.visit_in(household_id), by=request.user, photos=request.FILES.getlist("photos")
            )
        except ValidationError as exc:
            errors = exc.message_dict
            if _wants_json(request):
                return JsonResponse({"errors": errors}, status=400)
        except PermissionDenied as exc:
            if _wants_json(request):
                return JsonResponse({"errors": {"__all__": [str(exc) or _("没有权限")]}}, status=403)
            raise
        else:
            url = reverse("fieldwork:visit_detail", args=[visit.pk])
            # said on the round the worker goes back to (the phone's fetch too): the visit is saved
            messages.success(
                request, _("走访已登记：%(a)s") % {"a": household.house.address if household.house else ""}
            )
            if _wants_json(request):
                return JsonResponse({"id": visit.pk, "url": url, "client_id": visit.client_id})
            return redirect(reverse("fieldwork:round"))

    items = services.checklist_for(household)
    context = {
        "household": household,
        "members": registry.in_register(household.members.order_by("pk")),
        "items": items,
        "answers": {k[len("answer:") :]: v for k, v in request.POST.items() if k.startswith("answer:")},
        "errors": errors,
        "values": request.POST,
        "client_id": request.POST.get("client_id") or uuid.uuid4().hex,
        "modes": Mode.choices,
        "hazard_kinds": registry.HAZARD_KINDS,
        "correctable": [(f, registry.person_field_label(f)) for f in services.CORRECTABLE],
        "categories": cases.categories().filter(parent__isnull=False).select_related("parent"),
        "case_code": request.GET.get("case", "") or request.POST.get("case_code", ""),
        "campaigns": services.active_campaigns_of(household),
        "last": services.visits_for(request.user).filter(household=household).first(),
        "near_metres": settings.FIELDWORK_NEAR_METRES,
    }
    return render(request, "fieldwork/visit_form.html", context, status=400 if errors else 200)


VISIT_HEADERS = (
    "走访时间 户号 地址 网格 走访人 方式 有问题的事项 情况记录 距住户（米） 发现 走访活动 录入时间".split()
)


def _visit_rows(qs):
    """The export's rows from plain values (50,000 visits through their models took 6.5 s), findings
    looked up a batch at a time, the choices' labels once."""
    modes = {k: str(v) for k, v in Mode.choices}
    kinds = {k: str(v) for k, v in Finding.Kind.choices}
    fields = (
        "pk", "visited_at", "household__number", "household__house__address", "grid__name",
        "worker__full_name", "worker__username", "mode", "answers", "notes", "distance_m", "campaign__name",
        "recorded",
    )  # fmt: skip
    rows = list(qs.values_list(*fields))
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        found: dict[int, list[str]] = {}
        in_chunk = Finding.objects.filter(visit_id__in=[r[0] for r in chunk])
        for visit_id, kind, summary in in_chunk.values_list("visit_id", "kind", "summary"):
            found.setdefault(visit_id, []).append(f"{kinds.get(kind, kind)}：{summary}")
        for (
            pk,
            at,
            number,
            address,
            grid,
            full_name,
            user,
            mode,
            answers,
            notes,
            metres,
            campaign,
            rec,
        ) in chunk:
            problems = [k for k, v in (answers or {}).items() if v == "problem"]  # as Visit.problems
            at_text, rec_text = (timezone.localtime(t).strftime("%Y-%m-%d %H:%M") for t in (at, rec))
            yield [
                at_text, number, address or "", grid, full_name or user, modes.get(mode, mode),
                "、".join(problems), notes, "" if metres is None else metres, "；".join(found.get(pk, [])),
                campaign or "", rec_text,
            ]  # fmt: skip


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def visit_list(request):
    chosen = VisitFilter(
        request.GET.dict(), queryset=services.visits_for(request.user).prefetch_related("findings")
    )
    if not chosen.is_valid() and ("start" in chosen.errors or "end" in chosen.errors):
        messages.error(request, _("日期格式应为 2026-01-31"))
    qs = chosen.qs
    if request.GET.get("format") == "xlsx":
        return download(
            write_workbook(VISIT_HEADERS, _visit_rows(qs[:50000]), sheet="走访记录"), "visits.xlsx"
        )
    page, query = paginate(request, qs)
    return render(request, "fieldwork/visit_list.html", {"page": page, "query": query, "modes": Mode.choices})


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def visit_detail(request, pk: int):
    visit = services.get_visit_or_404(request.user, pk)
    return render(
        request,
        "fieldwork/visit_detail.html",
        {
            "visit": visit,
            "findings": visit.findings.all(),
            "photos": visit.photos.all(),
            "fulfilments": visit.fulfilments.select_related("rule"),
            "met": list(visit.household.members.filter(pk__in=visit.persons).values_list("name", flat=True)),
        },
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def visit_photo(request, pk: int):
    photo = get_object_or_404(VisitPhoto, pk=pk)
    services.get_visit_or_404(request.user, photo.visit_id)  # 404 unless the user sees the visit
    return photos.served(photo.image, cache_control="private, max-age=3600")


@login_required
@permission_required(perms.VIEW_COVERAGE, raise_exception=True)
def coverage(request):
    """Share of due visits done in time, per grid, for a month: an outcome, not a count of log-ins."""

    grid = None
    if request.GET.get("grid"):
        grid = (
            accounts.visible(Grid.objects.all(), request.user, grid_field="")
            .filter(pk=request.GET["grid"])
            .first()
        )
        if grid is None:
            raise Http404
    grid = grid or _top_grid(request.user)
    if grid is None:
        raise Http404
    month = dates.month_or_this(request.GET.get("month"))
    start, end = services.month_bounds(month)
    rows = services.coverage(request.user, grid, start, end)
    if request.GET.get("format") == "xlsx":
        headers = "网格 应访 按时 逾期完成 逾期未访 按时率".split()
        data = [
            [
                r["grid"].name,
                r["due"],
                r["in_time"],
                r["late"],
                r["open_late"],
                f"{r['share']:.1%}" if r["share"] is not None else "",
            ]
            for r in rows
        ]
        return download(write_workbook(headers, data, sheet="走访覆盖"), f"coverage-{month:%Y-%m}.xlsx")
    due, in_time = sum(r["due"] for r in rows), sum(r["in_time"] for r in rows)
    return render(
        request,
        "fieldwork/coverage.html",
        {
            "grid": grid,
            "rows": rows,
            "month": month,
            "start": start,
            "end": end,
            "total": {"due": due, "in_time": in_time, "share": in_time / due if due else None},
            "query": request.GET.urlencode(),
        },
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def rules(request):

    rows = VisitRule.objects.annotate(households=Count("duties")).order_by("order", "pk")
    return render(request, "fieldwork/rules.html", {"rules": rows})


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def campaign_list(request):
    errors: dict = {}
    if request.method == "POST":
        if not request.user.has_perm(perms.MANAGE_CAMPAIGNS):
            raise PermissionDenied
        form = CampaignForm(request.POST, user=request.user)
        try:
            if not form.is_valid():
                raise refusal(form)
            campaign = services.create_campaign(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request,
                _("已发起走访活动“%(n)s”，共 %(c)d 户") % {"n": campaign.name, "c": campaign.targets.count()},
            )
            return redirect("fieldwork:campaign_detail", pk=campaign.pk)
    page, query = paginate(
        request,
        services.campaigns_for(request.user).annotate(n_targets=Count("targets")).order_by("-start", "pk"),
    )
    return render(
        request,
        "fieldwork/campaigns.html",
        {
            "page": page,
            "query": query,
            "errors": errors,
            "values": request.POST,
            "grids": accounts.visible(grids.active_grids(), request.user, grid_field="").order_by("path")[
                :500
            ],
            "groups": registry.groups_for(request.user),
            "residences": registry.RESIDENCES,
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(services.campaigns_for(request.user), pk=pk)
    rows = services.campaign_progress(campaign, request.user)
    if request.GET.get("format") == "xlsx":
        data = [[r["grid"].name, r["targets"], r["visited"], f"{r['share']:.1%}"] for r in rows]
        return download(
            write_workbook("网格 目标户数 已走访 完成率".split(), data, sheet="活动进度"),
            f"campaign-{campaign.pk}.xlsx",
        )
    targets = sum(r["targets"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    return render(
        request,
        "fieldwork/campaign_detail.html",
        {
            "campaign": campaign,
            "rows": rows,
            "targets": targets,
            "visited": visited,
            "share": visited / targets if targets else None,
        },
    )


# --- joint patrols (联动巡查) --------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def patrol_list(request):
    errors: dict = {}
    if request.method == "POST":
        form = PatrolPlanForm(request.POST, user=request.user)
        try:
            if not form.is_valid():
                raise refusal(form)
            d = form.cleaned_data
            p = patrols.plan(
                grid=d["grid"], planned_on=d["planned_on"], by=request.user, members=form.members()
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("fieldwork:patrol_detail", pk=p.pk)
    page, query = paginate(
        request,
        patrols.plans_for(request.user).annotate(n_findings=Count("findings")).order_by("-month", "grid"),
    )
    return render(
        request,
        "fieldwork/patrols.html",
        {
            "page": page,
            "query": query,
            "errors": errors,
            "values": request.POST,
            "grids": accounts.visible(grids.active_grids(), request.user, grid_field="")
            .filter(depth__lte=3)
            .order_by("path")[:300],
            "roles": fieldwork_scene.settings().patrol_roles,
            "month": dates.month_or_this(request.GET.get("month")),
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def patrol_detail(request, pk: int):
    p = get_object_or_404(patrols.plans_for(request.user), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        form = PatrolFindingForm(request.POST)
        try:
            form.is_valid()  # every field is text: nothing to refuse before the verb
            patrols.record(p, by=request.user, **form.finding())
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("fieldwork:patrol_detail", pk=p.pk)
    return render(
        request,
        "fieldwork/patrol_detail.html",
        {
            "plan": p,
            "findings": p.findings.all(),
            "summary": patrols.summary(p),
            "errors": errors,
            "values": request.POST,
            "client_id": uuid.uuid4().hex,
            "handlings": patrols.H.choices,
            "categories": cases.categories().filter(parent__isnull=False).select_related("parent"),
            "departments": Department.objects.order_by("pk"),
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def patrol_analysis(request):
    month = dates.month_or_this(request.GET.get("month"))
    rows = patrols.analysis(request.user, month)
    if request.GET.get("format") == "xlsx":
        data = [
            [r["area"], r["item"], r["count"], r["communities"], r["recurring"], r["not_on_spot"]]
            for r in rows
        ]
        return download(
            write_workbook(
                "类别 事项 发现次数 涉及社区 连续两月出现 未能现场解决".split(), data, sheet="共性问题"
            ),
            f"patrol-analysis-{month:%Y-%m}.xlsx",
        )
    return render(request, "fieldwork/patrol_analysis.html", {"rows": rows, "month": month})


def patrol_public(request, code: str):
    """What the month's patrol found in a community and what became of it: for residents, no login."""

    grid = grids.active_grids().filter(code=code).first()
    if grid is None:
        raise Http404
    month = dates.month_or_this(request.GET.get("month"))
    return render(
        request,
        "fieldwork/patrol_public.html",
        {"grid": grid, "month": month, "rows": patrols.public_outcomes(grid, month)},
    )


# --- 帮办代办 ----------------------------------------------------------------------------------------

SERVICE_HEADERS = "受理日期 服务对象 网格 事项 方式 状态 结果 办结日期 经办人 办理经过".split()


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def service_list(request):
    qs = ServiceFilter(request.GET, queryset=services.service_records_for(request.user)).qs
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                r.started_on.isoformat(),
                r.person.name,
                r.grid.name,
                r.kind,
                r.get_mode_display(),
                r.get_state_display(),
                r.result,
                r.finished_on.isoformat() if r.finished_on else "",
                str(r.worker),
                "；".join(f"{s['on']} {s['note']}" for s in r.steps),
            ]
            for r in qs[:50000]
        ]
        return download(write_workbook(SERVICE_HEADERS, rows, sheet="帮办代办"), "services.xlsx")
    page, query = paginate(request, qs)
    return render(
        request,
        "fieldwork/services.html",
        {
            "page": page,
            "query": query,
            "states": ServiceRecord.State.choices,
            "kinds": fieldwork_scene.settings().service_kinds,
        },
    )


@login_required
@permission_required(perms.SERVICE, raise_exception=True)
def service_new(request):
    person_id = request.POST.get("person") or request.GET.get("person") or "0"
    person = (
        registry.persons_for(request.user).filter(pk=int(person_id) if person_id.isdigit() else 0).first()
    )
    errors: dict = {}
    if request.method == "POST":
        form = ServiceForm(request.POST)
        try:
            form.is_valid()  # every field is text: nothing to refuse before the verb
            record = services.start_service(
                person_id=person.pk if person else 0, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("fieldwork:service_detail", pk=record.pk)
    found = []
    who = request.GET.get("who", "").strip()
    if person is None and who:  # pick the resident first: by name, or exactly by ID number
        by_id = registry.find_by_id_number(who, request.user)
        people = registry.in_register(registry.persons_for(request.user).filter(name__startswith=who))
        found = [by_id] if by_id else list(people[:20])
    return render(
        request,
        "fieldwork/service_new.html",
        {
            "found": found,
            "who": who,
            "person": person,
            "errors": errors,
            "values": request.POST,
            "client_id": uuid.uuid4().hex,
            "kinds": fieldwork_scene.settings().service_kinds,
            "modes": ServiceRecord.Mode.choices,
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def service_detail(request, pk: int):
    record = get_object_or_404(services.service_records_for(request.user), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        form = ServiceStepForm(request.POST)
        try:
            if not form.is_valid():
                raise refusal(form)
            d = form.cleaned_data
            if d["action"] == "finish":
                services.finish_service(record, state=d["state"], result=d["result"], by=request.user)
            else:
                services.add_service_step(record, note=d["note"], by=request.user)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("fieldwork:service_detail", pk=record.pk)
    return render(
        request,
        "fieldwork/service_detail.html",
        {
            "record": record,
            "errors": errors,
            "outcomes": [c for c in ServiceRecord.State.choices if c[0] != "open"],
        },
        status=400 if errors else 200,
    )
