"""Notices to residents: staff publish to grids in their jurisdiction (urgent ones pinned, SMS optional)
and see how many residents opened each; a resident reads theirs (the opening is counted)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.forms import NoticeForm
from wangge.engagement.views import community_grids
from wangge.grids.jurisdiction import visible
from wangge.grids.models import Grid


@login_required
@permission_required(perms.VIEW, raise_exception=True)
def notice_list(request):
    qs = services.notices_for(request.user)
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                n.created.strftime("%Y-%m-%d %H:%M"),
                n.title,
                "是" if n.urgent else "",
                n.households,
                n.opened,
                "已撤回" if n.withdrawn else "",
            ]
            for n in qs[:20000]
        ]
        headers = ["发布时间", "标题", "紧急", "短信户数", "阅读人数", "状态"]
        return download(write_workbook(headers, rows, sheet="通知公告"), "notices.xlsx")
    page, query = paginate(request, qs)
    publishes = request.user.has_perm(perms.PUBLISH_NOTICES)
    form = NoticeForm(grids=community_grids(request.user)) if publishes else None
    return render(request, "engagement/notice_list.html", {"page": page, "query": query, "form": form})


@login_required
@permission_required(perms.PUBLISH_NOTICES, raise_exception=True)
@require_POST
def notice_new(request):
    form = NoticeForm(request.POST, grids=community_grids(request.user))
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        chosen = visible(Grid.objects.all(), request.user, grid_field="").filter(pk__in=d["grids"])
        notice = services.publish_notice(
            chosen, title=d["title"], body=d["body"], by=request.user, urgent=d["urgent"], sms=d["sms"]
        )
        messages.success(
            request,
            _("已发布：%(t)s") % {"t": notice.title}
            + (_("，短信 %(n)s 户") % {"n": notice.households} if notice.sms else ""),
        )
    except ValidationError as exc:
        tell(request, exc, form)
    return redirect("engagement:notices")


@login_required
@permission_required(perms.PUBLISH_NOTICES, raise_exception=True)
@require_POST
def notice_withdraw(request, pk: int):
    notice = services.notices_for(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    services.withdraw_notice(notice, by=request.user)
    return redirect("engagement:notices")


@login_required
def notice(request, pk: int):
    """A notice as a resident reads it (their own grids only); staff see it in their jurisdiction."""
    if getattr(request.user, "role", "") == "resident":
        found = services.notices_of_resident(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404
        services.mark_read(found, request.user)
    else:
        found = services.notices_for(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404
    return render(request, "engagement/notice.html", {"n": found})


@login_required
def my_notices(request):
    return render(
        request, "engagement/my_notices.html", {"notices": services.notices_of_resident(request.user)[:50]}
    )
