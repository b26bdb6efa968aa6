"""Mediation pages: disputes (list, new, detail with sessions, escalation and outcome) and the monthly
report (file or zero-report with one click; the centre sees who is late). Thin: verbs are in services."""

from __future__ import annotations

import base64
import uuid
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.core import dates, photos
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal
from wangge.core.pagination import paginate
from wangge.core.pdf import PdfUnavailable, render_pdf
from wangge.grids import services as grids
from wangge.mediation import permissions as perms
from wangge.mediation import services
from wangge.mediation.filters import DisputeFilter
from wangge.mediation.forms import STEPS, DisputeForm
from wangge.mediation.models import Dispute, DisputeType, Signature

HEADERS = (
    "发现日期 网格 类型 纠纷概况 当事人 风险等级 调解层级 本层级期限 调解员 状态 调解结果 引导至 办结日期"
).split()


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def dispute_list(request):
    chosen = DisputeFilter(request.GET, queryset=services.disputes_for(request.user), request=request)
    qs = chosen.qs
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                d.found_on.isoformat(),
                d.grid.name,
                d.kind.name,
                d.summary,
                "、".join(p["name"] for p in d.parties),
                d.get_risk_display(),
                d.get_level_display(),
                d.level_due.isoformat(),
                d.mediator,
                d.get_status_display(),
                d.outcome,
                d.referred_to,
                d.closed_on.isoformat() if d.closed_on else "",
            ]
            for d in qs[:50000]
        ]
        return download(write_workbook(HEADERS, rows, sheet="矛盾纠纷"), "disputes.xlsx")
    page, query = paginate(request, qs)
    return render(
        request,
        "mediation/list.html",
        {
            "page": page,
            "query": query,
            "statuses": Dispute.Status.choices,
            "kinds": DisputeType.objects.all(),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required(perms.RECORD, raise_exception=True)
def dispute_new(request):
    errors: dict = {}
    if request.method == "POST":
        form = DisputeForm(request.POST)
        try:
            if not form.is_valid():
                raise refusal(form)
            dispute = services.record(form.dispute_in(), by=request.user)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("矛盾纠纷已登记"))
            return redirect("mediation:detail", pk=dispute.pk)
    return render(
        request,
        "mediation/new.html",
        {
            "errors": errors,
            "values": request.POST,
            "client_id": request.POST.get("client_id") or uuid.uuid4().hex,
            "grids": accounts.visible(grids.active_grids(), request.user, grid_field="").order_by("path")[
                :500
            ],
            "kinds": DisputeType.objects.all(),
            "risks": Dispute.Risk.choices,
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def dispute_detail(request, pk: int):
    dispute = get_object_or_404(services.disputes_for(request.user), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        step = STEPS.get(request.POST.get("action", ""))
        try:
            if step is None:
                raise invalid("action", _("未知的操作"), "unknown")
            form_class, verb = step
            form = form_class(request.POST, request.FILES)
            if not form.is_valid():
                raise refusal(form)
            verb(dispute, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("mediation:detail", pk=dispute.pk)
        dispute.refresh_from_db()
    return render(
        request,
        "mediation/detail.html",
        {
            "dispute": dispute,
            "sessions": dispute.sessions.all(),
            "signatures": dispute.signatures.all(),
            "follow_ups": dispute.follow_ups.select_related("by"),
            "errors": errors,
            "values": request.POST,
            "outcomes": [c for c in Dispute.Status.choices if c[0] in ("agreed", "partly", "failed")],
            "today": timezone.localdate(),
        },
        status=400 if errors else 200,
    )


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def monthly(request):
    """The month's dispute reports: each community's figures, filed or not; file or zero-report here."""
    month = dates.month_or_this(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        grid = get_object_or_404(services.communities_for(request.user), pk=request.POST.get("grid") or 0)
        try:
            r = services.file_report(grid, month, by=request.user, zero=request.POST.get("zero") == "1")
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
        else:
            messages.success(request, _("%(g)s %(m)s 月报已报送") % {"g": grid.name, "m": f"{r.month:%Y-%m}"})
        return redirect(f"{request.path}?month={month:%Y-%m}")
    rows = [
        (f, f.report.figures if f.report else services.figures(f.grid, month))
        for f in services.filings(request.user, month)
    ]
    if request.GET.get("format") in ("xlsx", "pdf"):
        return _export(request, month, rows)
    return render(
        request,
        "mediation/monthly.html",
        {
            "month": month,
            "rows": rows,
            "due": services.due_day(month),
            "formulas": services.FORMULAS,
            "late": sum(1 for f, _x in rows if f.state == "overdue"),
        },
    )


def _export_disputes(request, month: date):
    """Every dispute found, mediated or outstanding in the month, in the user's communities."""
    start, end = services.month_start(month), services.month_end(month)
    qs = (
        services.disputes_for(request.user)
        .filter(found_on__lte=end)
        .filter(Q(found_on__gte=start) | Q(closed_on__isnull=True) | Q(closed_on__gte=start))
    )
    headers = ["本月情况", *HEADERS]
    rows = []
    for d in qs[:50000]:
        if d.closed_on and start <= d.closed_on <= end:
            state = "本月调结"
        elif d.closed_on is None or d.closed_on > end:
            state = "月末未结"
        else:
            state = "本月发现"
        rows.append(
            [
                state,
                d.found_on.isoformat(),
                d.grid.name,
                d.kind.name,
                d.summary,
                "、".join(p["name"] for p in d.parties),
                d.get_risk_display(),
                d.get_level_display(),
                d.level_due.isoformat(),
                d.mediator,
                d.get_status_display(),
                d.outcome,
                d.referred_to,
                d.closed_on.isoformat() if d.closed_on else "",
            ]
        )
    return download(
        write_workbook(headers, rows, sheet="本月纠纷明细"), f"disputes-detail-{month:%Y-%m}.xlsx"
    )


STATE = {"filed": "已报送", "late": "逾期报送", "waiting": "未报送", "overdue": "逾期未报"}


def _export(request, month: date, rows):
    headers = (
        "社区 报送状态 零报告 本月发现 本月调结 调解成功 部分达成 不成引导 月末未结 调解成功率 报送时间"
    ).split()
    data = [
        [
            f.grid.name,
            STATE[f.state],
            "是" if f.report and f.report.zero else "",
            x["found"],
            x["mediated"],
            x["agreed"],
            x["partly"],
            x["failed"],
            x["outstanding"],
            f"{x['success_rate']:.1%}" if x["success_rate"] is not None else "",
            timezone.localtime(f.report.filed).strftime("%Y-%m-%d %H:%M") if f.report else "",
        ]
        for f, x in rows
    ]
    if request.GET["format"] == "xlsx" and request.GET.get("detail") == "1":
        return _export_disputes(request, month)
    if request.GET["format"] == "xlsx":
        return download(write_workbook(headers, data, sheet="矛盾纠纷月报"), f"disputes-{month:%Y-%m}.xlsx")

    html = render_to_string(
        "mediation/monthly_pdf.html",
        {
            "month": month,
            "headers": headers,
            "data": data,
            "formulas": services.FORMULAS,
            "due": services.due_day(month),
            "printed": timezone.localtime(),
        },
    )
    try:
        pdf = render_pdf(html)
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(f"{request.path}?month={month:%Y-%m}")
    return download(pdf, f"disputes-{month:%Y-%m}.pdf", "application/pdf", inline=True)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def agreement_pdf(request, pk: int):
    """人民调解协议书, printed from the dispute's record with the parties' signatures."""

    dispute = get_object_or_404(services.disputes_for(request.user), pk=pk)
    if dispute.status not in ("agreed", "partly"):
        raise Http404
    signatures = [(s.party, base64.b64encode(s.image.read()).decode()) for s in dispute.signatures.all()]
    html = render_to_string(
        "mediation/agreement_pdf.html",
        {
            "dispute": dispute,
            "signatures": signatures,
            "sessions": dispute.sessions.all(),
        },
    )
    try:
        pdf = render_pdf(html)
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("mediation:detail", pk=pk)
    return download(pdf, f"agreement-{dispute.pk}.pdf", "application/pdf", inline=True)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def signature_image(request, pk: int):

    sig = get_object_or_404(Signature, pk=pk)
    get_object_or_404(services.disputes_for(request.user), pk=sig.dispute_id)  # 404 unless the user sees it
    return photos.served(sig.image, cache_control="private, no-store", content_type="image/png")
