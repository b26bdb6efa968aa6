"""Volunteer pages: teams and their members, activities with sign-ups, the check-in QR code shown at the
place, hours confirmed by the organiser, a volunteer's record and certificate (PDF); the resident signs
up, checks in by scanning, and sees their own hours. Thin: the verbs are in services."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.core.pdf import PdfUnavailable, render_pdf
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.forms import ActivityForm, HoursForm, MemberForm, TeamForm
from wangge.engagement.models import Activity, SignUp
from wangge.engagement.views import community_grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.grids.models import Grid
from wangge.registry import services as registry


def _resident_person(request):
    person = registry.person_of_user(request.user)
    if person is None:
        raise invalid("person", _("没有找到您的居民登记：请确认账号的手机号与社区登记的一致"), "not_found")
    return person


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def team_list(request):
    teams = services.teams_for(request.user)
    hours = services.hours_by_team(teams)
    counted = teams.annotate(
        n_members=Count("members", distinct=True), n_activities=Count("activities", distinct=True)
    )
    rows = [
        (t, t.n_members, t.n_activities, hours.get(t.pk, 0))
        for t in counted.order_by("grid__path", "name")[:500]
    ]
    if request.GET.get("format") == "xlsx":
        data = [[t.grid.name, t.name, t.get_kind_display(), t.leader, m, a, float(h)] for t, m, a, h in rows]
        headers = ["社区", "队名", "类型", "队长", "队员", "活动", "服务时长（小时）"]
        return download(write_workbook(headers, data, sheet="志愿服务队"), "teams.xlsx")
    form = TeamForm(grids=community_grids(request.user)) if request.user.has_perm(perms.ORGANISE) else None
    return render(request, "engagement/team_list.html", {"rows": rows, "form": form})


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def team_new(request):
    form = TeamForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        grid = visible(Grid.objects.all(), request.user, grid_field="").get(pk=d["grid"])
        team = services.create_team(grid, name=d["name"], kind=d["kind"], leader=d["leader"])
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:teams")
    return redirect("engagement:team", pk=team.pk)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def team(request, pk: int):
    t = get_visible_or_404(services.teams_for(request.user), request.user, pk=pk)
    q = request.GET.get("q", "").strip()
    organises = request.user.has_perm(perms.ORGANISE)
    found = registry.search_persons(request.user, text=q)[:10] if q and organises else []
    members = t.members.select_related("person").order_by("joined_on", "pk")
    return render(
        request,
        "engagement/team.html",
        {
            "team": t,
            "members": members,
            "found": found,
            "organises": organises,
            "activities": t.activities.order_by("-starts_at")[:50],
            "activity_form": ActivityForm() if organises else None,
        },
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def team_member_add(request, pk: int):
    t = get_visible_or_404(services.teams_for(request.user), request.user, pk=pk)
    form = MemberForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        person = registry.persons_for(request.user).filter(pk=d["person"]).first()
        if person is None:
            raise invalid("person", _("找不到该居民"), "not_found")
        services.add_member(t, person, party_member=d["party_member"], unit=d["unit"])
        messages.success(request, _("已加入服务队：%(p)s") % {"p": person.name})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:team", pk=pk)


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def activity_new(request, pk: int):
    t = get_visible_or_404(services.teams_for(request.user), request.user, pk=pk)
    form = ActivityForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        a = services.create_activity(t, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:team", pk=pk)
    return redirect("engagement:activity", pk=a.pk)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def activity_list(request):
    qs = services.activities_for(request.user)
    if request.GET.get("when") != "past":
        qs = qs.filter(ends_at__gte=timezone.now()).order_by("starts_at")
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M"),
                a.team.grid.name,
                a.team.name,
                a.title,
                a.place,
                a.capacity,
                a.sign_ups.filter(cancelled=False).count(),
                a.get_status_display(),
            ]
            for a in qs[:20000]
        ]
        headers = ["开始时间", "社区", "服务队", "活动", "地点", "人数上限", "报名", "状态"]
        return download(write_workbook(headers, rows, sheet="志愿活动"), "activities.xlsx")
    page, query = paginate(request, qs)
    return render(request, "engagement/activity_list.html", {"page": page, "query": query})


@login_required
def activity(request, pk: int):
    """The organiser's page (sign-ups, check-ins, hours, the QR code to show at the place); a resident
    sees the activity and signs up."""
    if getattr(request.user, "role", "") == "resident":
        person = registry.person_of_user(request.user)
        a = services.activities_near(person).filter(pk=pk).first() if person else None
        if a is None:
            raise Http404
        mine = SignUp.objects.filter(activity=a, person=person, cancelled=False).first()
        return render(
            request,
            "engagement/activity_resident.html",
            {"a": a, "mine": mine, "taken": a.sign_ups.filter(cancelled=False).count()},
        )
    if not request.user.has_perm(perms.VIEW):
        raise Http404
    a = get_visible_or_404(
        services.activities_for(request.user), request.user, grid_field="team__grid", pk=pk
    )
    places = a.sign_ups.select_related("person", "points").order_by("cancelled", "created")
    check_in_url = (
        request.build_absolute_uri(reverse("engagement:check_in", args=[a.pk])) + f"?code={a.check_in_code}"
    )
    organises = request.user.has_perm(perms.ORGANISE)
    return render(
        request,
        "engagement/activity.html",
        {
            "a": a,
            "places": places,
            "organises": organises,
            "hours_form": HoursForm(),
            "qr": segno.make(check_in_url, error="m").svg_inline(scale=5) if organises else "",
        },
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def hours_confirm(request, pk: int, place_pk: int):
    a = get_visible_or_404(
        services.activities_for(request.user), request.user, grid_field="team__grid", pk=pk
    )
    place = a.sign_ups.filter(pk=place_pk).select_related("person", "activity").first()
    if place is None:
        raise Http404
    form = HoursForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        done = services.confirm_hours(place, form.cleaned_data["hours"], by=request.user)
        if done.points is not None:
            messages.success(
                request,
                _("已确认 %(p)s 服务 %(h)s 小时，发放 %(n)s 分")
                % {"p": place.person.name, "h": done.hours, "n": done.points.amount},
            )
        else:
            messages.info(
                request,
                _("已确认 %(p)s 服务 %(h)s 小时（本月积分已达上限，未发积分）")
                % {"p": place.person.name, "h": done.hours},
            )
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:activity", pk=pk)


@login_required
@require_POST
def activity_sign_up(request, pk: int):
    try:
        person = _resident_person(request)
        a = services.activities_near(person).filter(pk=pk).first()
        if a is None:
            raise Http404
        if request.POST.get("cancel"):
            place = SignUp.objects.filter(activity=a, person=person, cancelled=False).first()
            if place is not None:
                services.cancel_sign_up(place)
                messages.success(request, _("已取消报名"))
        else:
            services.sign_up(a, person)
            messages.success(request, _("报名成功：%(t)s") % {"t": a.title})
    except ValidationError as exc:
        tell(request, exc)
    return redirect("engagement:activity", pk=pk)


@login_required
def check_in(request, pk: int):
    """The page the activity's QR code opens on the volunteer's phone: one tap checks in."""
    a = Activity.objects.filter(pk=pk).select_related("team").first()
    code = request.GET.get("code", "")
    if a is None or not code:
        raise Http404
    done = None
    if request.method == "POST":
        try:
            done = services.check_in(a, _resident_person(request), code=request.POST.get("code", ""))
            messages.success(request, _("签到成功：%(t)s") % {"t": a.title})
        except ValidationError as exc:
            tell(request, exc)
    return render(request, "engagement/check_in.html", {"a": a, "code": code, "done": done})


def _record_page(request, person, *, pdf_url: str):
    record = services.volunteer_record(person)
    return render(
        request, "engagement/volunteer.html", {"person": person, "record": record, "pdf_url": pdf_url}
    )


def _certificate(request, person):
    record = services.volunteer_record(person)
    html = render_to_string(
        "engagement/certificate_pdf.html", {"person": person, "record": record, "today": timezone.localdate()}
    )
    try:
        pdf = render_pdf(html)
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(request.path.rsplit("/", 1)[0] + "/")
    return download(pdf, f"volunteer-{person.pk}.pdf", "application/pdf", inline=True)


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def volunteer(request, person_id: int):
    person = registry.persons_for(request.user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return _record_page(request, person, pdf_url=reverse("engagement:certificate", args=[person.pk]))


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def certificate(request, person_id: int):
    person = registry.persons_for(request.user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return _certificate(request, person)


@login_required
def my_volunteering(request):
    person = registry.person_of_user(request.user)
    if person is None:
        raise Http404
    return _record_page(request, person, pdf_url=reverse("engagement:my_certificate"))


@login_required
def my_certificate(request):
    person = registry.person_of_user(request.user)
    if person is None:
        raise Http404
    return _certificate(request, person)
