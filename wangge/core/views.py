import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wangge.core import outbox
from wangge.core.middleware import json_error
from wangge.core.models import Message
from wangge.core.pagination import paginate
from wangge.core.permissions import MANAGE_OUTBOX

log = logging.getLogger(__name__)


@login_required
def home(request):
    """Staff land on the grid tree; residents (who see no grids) on a page of what they can do."""
    if request.user.has_perm("grids.view_grid"):
        return redirect("grids:tree")
    return render(request, "home.html")


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
    """站内消息: what the user was told; opening the page marks them read."""

    qs = Message.objects.filter(user=request.user)
    page, query = paginate(request, qs)
    unread = [m.pk for m in page if m.read_at is None]
    if request.method == "POST":
        qs.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("messages")
    return render(request, "messages.html", {"page": page, "query": query, "unread": set(unread)})


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
