"""Residents' council pages: topics raised by residents (their own grid) or the grid, the meeting record
with the vote or consensus, the decision published and followed (a case's number, a 关键小事, or done);
the public record of decided matters per grid at /board/council/."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import invalid
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.forms import MeetingForm, TopicForm
from wangge.engagement.models import CouncilTopic, Task
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.grids.models import Grid


def _all_grids(user) -> list[tuple[str, str]]:
    return [(str(g.pk), g.name) for g in visible(Grid.objects.order_by("path"), user, grid_field="")[:500]]


@login_required
def topic_list(request):
    """Staff: the topics in their jurisdiction; a resident: the ones they raised, and the form."""
    if getattr(request.user, "role", "") == "resident":
        topics = services.topics_of_resident(request.user)
        return render(
            request,
            "engagement/topic_list.html",
            {"page": topics[:50], "form": TopicForm(), "resident": True},
        )
    if not request.user.has_perm(perms.VIEW):
        raise Http404
    qs = services.topics_for(request.user)
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    page, query = paginate(request, qs)
    return render(
        request,
        "engagement/topic_list.html",
        {
            "page": page,
            "query": query,
            "form": TopicForm(grids=_all_grids(request.user)),
            "statuses": CouncilTopic.Status.choices,
        },
    )


@login_required
@require_POST
def topic_new(request):
    resident = getattr(request.user, "role", "") == "resident"
    if not resident and not request.user.has_perm(perms.VIEW):
        raise Http404
    form = TopicForm(request.POST, grids=() if resident else _all_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        grid = None if resident else Grid.objects.filter(pk=d.get("grid") or 0).first()
        topic = services.raise_topic(
            title=d["title"], description=d["description"], grid=grid, by=request.user
        )
        messages.success(request, _("议题已提交：%(t)s") % {"t": topic.title})
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:topics")


@login_required
def topic(request, pk: int):
    if getattr(request.user, "role", "") == "resident":
        t = get_object_or_404(services.topics_of_resident(request.user), pk=pk)
        return render(
            request, "engagement/topic.html", {"t": t, "meetings": t.meetings.all(), "resident": True}
        )
    if not request.user.has_perm(perms.VIEW):
        raise Http404
    t = get_visible_or_404(services.topics_for(request.user), request.user, pk=pk)
    organises = request.user.has_perm(perms.ORGANISE)
    return render(
        request,
        "engagement/topic.html",
        {
            "t": t,
            "meetings": t.meetings.all(),
            "organises": organises,
            "meeting_form": MeetingForm(),
            "kinds": Task.Kind.choices,
        },
    )


@login_required
@permission_required(perms.ORGANISE, raise_exception=True)
@require_POST
def topic_action(request, pk: int):
    t = get_visible_or_404(services.topics_for(request.user), request.user, pk=pk)
    action = request.POST.get("action")
    form = MeetingForm(request.POST) if action == "meeting" else None
    try:
        if form is not None:
            if not form.is_valid():
                raise refusal(form)
            d = form.cleaned_data
            attendees = [a for a in re.split(r"[、，,\s]+", d["attendees"]) if a]
            services.record_meeting(
                t,
                held_on=d["held_on"],
                place=d["place"],
                attendees=attendees,
                views=d["views"],
                way=d["way"],
                decision=d["decision"],
                votes_for=d["votes_for"] or 0,
                votes_against=d["votes_against"] or 0,
                abstained=d["abstained"] or 0,
                by=request.user,
            )
            messages.success(request, _("已记录议事会"))
        elif action == "case":
            services.hand_to_case(t, case_code=request.POST.get("case_code", ""))
        elif action == "task":
            services.turn_into_task(t, kind=request.POST.get("kind", ""), by=request.user)
        elif action == "close":
            services.close_topic(t, note=request.POST.get("note", ""))
        elif action == "dismiss":
            services.dismiss_topic(t, note=request.POST.get("note", ""))
        else:
            raise invalid("action", _("未知的操作"), "unknown")
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:topic", pk=pk)


def public_record(request):
    """议事公开: the decided matters of a grid and how each was followed, for everyone."""
    code = request.GET.get("grid", "")
    grid = grids.open_grid(code) if code else None
    page, query = paginate(request, services.public_record(grid), per_page=30)
    return render(
        request,
        "engagement/council_record.html",
        {
            "page": page,
            "query": query,
            "grid": grid,
            "communities": Grid.objects.filter(depth=2).order_by("path"),
        },
    )
