import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from wangge.core import exports, outbox
from wangge.core import home as home_panels
from wangge.core.downloads import download
from wangge.core.middleware import json_error
from wangge.core.models import Message
from wangge.core.pagination import paginate
from wangge.core.permissions import MANAGE_OUTBOX

log = logging.getLogger(__name__)


@require_GET
@never_cache
def service_worker(request, scope: str):
    """The offline part (`wangge/sw.js`), served from inside a module's pages (its url names the scope)
    so that it may control them."""
    with open(finders.find("wangge/sw.js"), encoding="utf-8") as f:
        response = HttpResponse(f.read(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    return response


@login_required
def home(request):
    """Each role lands on its own to-do page: the panels the modules have for the user (core/home.py), or
    the page a module registered for the role (the leader's screen)."""
    landing = home_panels.landing_for(request.user)
    if landing and "panels" not in request.GET:
        return redirect(landing)
    return render(request, "home.html", {"panels": home_panels.panels_for(request.user)})


@login_required
def export_job(request, pk: int):
    """A background export: its progress (the page polls it), then its file, for its owner alone."""
    job = get_object_or_404(exports.jobs_of(request.user), pk=pk)
    if request.GET.get("download") and job.status == job.Status.DONE:
        return download(bytes(job.content), job.filename)
    template = "export_job.html#status" if request.htmx else "export_job.html"
    return render(request, template, {"job": job})


@login_required
def me_menu(request):
    """我的: on a phone, every place the role's menu has, and the account's own settings."""
    return render(request, "me_menu.html")


def messages_panel(user) -> home_panels.Panel:
    unread = outbox.unread_count(user)
    url = reverse("messages")
    items = [home_panels.Item(_("未读消息"), unread, url, "warn")]
    groups = outbox.with_titles(outbox.digest(user)[:5])
    lines = [home_panels.Line(g["title"], g["link"] or url, str(g["count"])) for g in groups]
    return home_panels.Panel(_("消息"), items, lines, more=url)


def healthz(request):
    """For load balancers: the process answers (no database touched)."""
    return HttpResponse("ok", content_type="text/plain")


def rate_limited(request, exception=None):
    """Past a door's rate limit (django-ratelimit): 429 in Chinese, in the door's own error format."""

    answer = json_error(request, 429, _("请求太频繁，请稍后再试"), "throttled")
    if answer is not None:
        return answer
    return render(request, "429.html", status=429)


@login_required
def message_centre(request):
    """站内消息: unread ones grouped by case (one line each, with their count), every message below."""

    if request.method == "POST":
        outbox.mark_read(request.user, link=request.POST.get("link"))  # no link: every unread message
        back = request.POST.get("next", "")
        return redirect(back if back.startswith(reverse("messages")) else "messages")
    qs = Message.objects.filter(user=request.user)
    if request.GET.get("view") == "all":
        page, query = paginate(request, qs)
        groups = None
    else:
        page, query = paginate(request, outbox.digest(request.user))
        page.object_list = groups = outbox.with_titles(page.object_list)
    unread = {m.pk for m in page if not isinstance(m, dict) and m.read_at is None}
    context = {"page": page, "query": query, "unread": unread, "groups": groups,
               "unread_total": outbox.unread_count(request.user)}  # fmt: skip
    return render(request, "messages.html", context)


@csrf_exempt
def bench_insert(request):
    """The intake benchmark's baseline: a bare view doing one insert (mounted only with BENCH_VIEWS)."""

    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_row (v) VALUES (%s)", [request.POST.get("v", "")])
    return HttpResponse("ok", content_type="text/plain")


@login_required
@permission_required(MANAGE_OUTBOX, raise_exception=True)
@require_http_methods(["GET", "POST"])
def health(request):
    """运行状况: notifications waiting and failed (each with its last error, retried here)."""
    failed = outbox.failed()
    if request.method == "POST":
        chosen = failed if request.POST.get("all") else failed.filter(pk__in=request.POST.getlist("ids"))
        n = outbox.retry(chosen)
        log.info("%s retried %s failed notifications", request.user, n)
        messages.success(request, _("已重新发送 %(n)s 条通知") % {"n": n})
        return redirect("health")
    page, query = paginate(request, failed)
    return render(
        request,
        "health.html",
        {"page": page, "query": query, "pending": outbox.pending().count(), "failed": page.paginator.count},
    )
