"""双报到 and the 百企公益 board. The board (/board/) is public: anyone reads what communities asked for,
who claimed it and what was done (no personal data); a unit's contact or an in-service party member
claims after signing in and reports completion with photos. Staff publish 关键小事 and keep the registers
of units, party members and paired leaders under /points/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts import services as accounts
from wangge.core import photos as core_photos
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.forms import CompleteForm, LeaderForm, PartnerForm, PartyMemberForm, TaskForm
from wangge.engagement.models import Partner, Task, TaskPhoto
from wangge.engagement.views import community_grids
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.grids.models import Grid
from wangge.registry import services as registry


def _grid(request, pk) -> Grid:
    found = visible(Grid.objects.all(), request.user, grid_field="").filter(pk=pk).first()
    if found is None:
        raise invalid("grid", _("请选择您辖区内的社区"), "outside")
    return found


# --- the public board ------------------------------------------------------------------------------


def board(request):
    code = request.GET.get("grid", "")
    grid = grids.open_grid(code) if code else None
    qs = services.board(grid=grid, kind=request.GET.get("kind", ""), status=request.GET.get("status", ""))
    page, query = paginate(request, qs, per_page=30)
    return render(
        request,
        "engagement/board.html",
        {
            "page": page,
            "query": query,
            "grid": grid,
            "kinds": Task.Kind.choices,
            "statuses": Task.Status.choices[:3],
            "by_kind": services.counts_by_kind(qs),
            "by_partner": services.counts_by_partner(qs)[:20],
            "communities": Grid.objects.filter(depth=2).order_by("path"),
        },
    )


def board_task(request, pk: int):
    task = get_object_or_404(services.board(), pk=pk)
    claimers = services.claimers(request.user, task) if task.status == Task.Status.OPEN else []
    return render(
        request,
        "engagement/board_task.html",
        {
            "task": task,
            "photos": task.photos.all(),
            "claimers": claimers,
            "may_complete": services.may_complete(request.user, task),
            "complete_form": CompleteForm(),
        },
    )


def board_photo(request, pk: int):
    photo = get_object_or_404(TaskPhoto, pk=pk, task__status__in=services.PUBLIC)
    return core_photos.served(photo.image, cache_control="public, max-age=86400")


def board_partner(request, pk: int):
    """A unit's page: what it claimed and did, and what its party members did (titles, no names)."""
    partner = get_object_or_404(Partner, pk=pk)
    own = services.board().filter(partner=partner)
    members = services.board().filter(member__partner=partner, status=Task.Status.DONE)
    return render(
        request,
        "engagement/board_partner.html",
        {
            "partner": partner,
            "own": own[:100],
            "members": members[:100],
            "communities": [link.grid for link in partner.links.select_related("grid")],
        },
    )


@login_required
@require_POST
def board_claim(request, pk: int):
    task = get_object_or_404(services.board(), pk=pk)
    try:
        services.claim_task(task, by=request.user, claimer=request.POST.get("claimer", ""))
        messages.success(request, _("认领成功，完成后请上传照片报告"))
    except ValidationError as exc:
        tell(request, exc)
    return redirect("board:task", pk=pk)


@login_required
@require_POST
def board_done(request, pk: int):
    task = get_object_or_404(services.board(), pk=pk)
    form = CompleteForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        services.complete_task(
            task, by=request.user, note=form.cleaned_data["note"], photos=request.FILES.getlist("photos")
        )
        messages.success(request, _("已报告完成，感谢参与"))
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("board:task", pk=pk)


# --- staff: tasks, units, party members, leaders ---------------------------------------------------


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def task_list(request):
    qs = services.tasks_for(request.user).order_by("-created")
    if kind := request.GET.get("kind"):
        qs = qs.filter(kind=kind)
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                t.created.date().isoformat(),
                t.grid.name,
                t.get_kind_display(),
                t.title,
                t.get_status_display(),
                t.claimer,
                t.done_at.date().isoformat() if t.done_at else "",
            ]
            for t in qs[:20000]
        ]
        headers = ["发布日期", "社区", "类别", "事项", "状态", "认领方", "完成日期"]
        return download(write_workbook(headers, rows, sheet="关键小事"), "tasks.xlsx")
    page, query = paginate(request, qs)
    form = TaskForm(grids=community_grids(request.user)) if request.user.has_perm(perms.ORGANISE) else None
    return render(
        request,
        "engagement/task_list.html",
        {"page": page, "query": query, "form": form, "kinds": Task.Kind.choices},
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def task_new(request):
    form = TaskForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        task = services.publish_task(
            _grid(request, d["grid"]),
            kind=d["kind"],
            title=d["title"],
            needs=d["needs"],
            due_on=d["due_on"],
            by=request.user,
        )
        messages.success(request, _("已发布：%(t)s") % {"t": task.title})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:tasks")


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def task_withdraw(request, pk: int):
    task = get_visible_or_404(services.tasks_for(request.user), request.user, pk=pk)
    try:
        services.withdraw_task(task)
    except ValidationError as exc:
        tell(request, exc)
    return redirect("engagement:tasks")


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def partner_list(request):
    """双报到: units with their communities, party members with their units, paired leaders."""
    organises = request.user.has_perm(perms.ORGANISE)
    q = request.GET.get("q", "").strip()
    partners = services.partners_for(request.user).prefetch_related("links__grid")
    members = services.party_members_for(request.user).order_by("grid__path", "registered_on")
    if request.GET.get("format") == "xlsx":
        members = members.annotate(done=Count("tasks", filter=Q(tasks__status=Task.Status.DONE)))
        rows = [
            [
                m.person.name,
                m.grid.name,
                m.partner.name if m.partner else "",
                m.registered_on.isoformat(),
                m.done,
            ]
            for m in members[:20000]
        ]
        headers = ["党员", "报到社区", "工作单位", "报到日期", "完成关键小事"]
        return download(write_workbook(headers, rows, sheet="在职党员"), "party-members.xlsx")
    grid_choices = community_grids(request.user)
    return render(
        request,
        "engagement/partner_list.html",
        {
            "partners": partners,
            "members": members[:300],
            "leaders": services.leaders_for(request.user),
            "organises": organises,
            "found": registry.search_persons(request.user, text=q)[:10] if q and organises else [],
            "partner_form": PartnerForm(grids=grid_choices) if organises else None,
            "member_form": PartyMemberForm(partners=[(p.pk, p.name) for p in partners])
            if organises
            else None,
            "leader_form": LeaderForm(grids=grid_choices) if organises else None,
        },
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def partner_new(request):
    form = PartnerForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        partner = services.register_partner(
            d["name"], kind=d["kind"], grids_served=[_grid(request, d["grid"])]
        )
        if phone := accounts.normalise_phone(d["contact_phone"]):
            user = accounts.search_users(text=phone).filter(phone=phone).first()
            if user is None:
                messages.info(request, _("没有以 %(p)s 注册的账号，联络人稍后可再添加") % {"p": phone})
            else:
                partner.contacts.add(user)
        messages.success(request, _("已登记单位报到：%(n)s") % {"n": partner.name})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:partners")


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def party_member_new(request):
    partners = services.partners_for(request.user)
    form = PartyMemberForm(request.POST, partners=[(p.pk, p.name) for p in partners])
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        person = registry.persons_for(request.user).filter(pk=d["person"]).first()
        if person is None:
            raise invalid("person", _("找不到该居民"), "not_found")
        home = next((g for g in reversed(grids.chain(person.grid)) if g.depth == 2), person.grid)
        partner = partners.filter(pk=d["partner"]).first() if d["partner"] else None
        services.register_party_member(person, grid=home, partner=partner)
        messages.success(request, _("已登记在职党员报到：%(n)s") % {"n": person.name})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:partners")


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def leader_new(request):
    form = LeaderForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        services.pair_leader(name=d["name"], title=d["title"], grid=_grid(request, d["grid"]))
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:partners")


@login_required
def my_services(request):
    """An in-service party member's own page: what they claimed and did."""
    member = services.member_of(request.user)
    if member is None:
        raise Http404
    return render(
        request,
        "engagement/my_services.html",
        {"member": member, "tasks": member.tasks.order_by("-claimed_at")},
    )
