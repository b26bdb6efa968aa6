"""The spare-key register: every page of it is audited (it tells whose home a key opens); registering a
key takes the resident's consent signed on the phone; hand-outs, returns and the key given back to its
owner. Thin: the verbs are in services/keys.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core import photos as core_photos
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.excel import write_workbook
from wangge.core.forms import refusal, tell
from wangge.core.pagination import paginate
from wangge.engagement import permissions as perms
from wangge.engagement.forms import HandoutForm, KeyForm
from wangge.engagement.services import keys as services
from wangge.grids.jurisdiction import get_visible_or_404
from wangge.registry import services as registry


@login_required
@permission_required(perms.KEEP_KEYS, raise_exception=True)
def key_list(request):
    qs = services.keys_for(request.user)
    if request.GET.get("status"):
        qs = qs.filter(status=request.GET["status"])
    if request.GET.get("overdue"):
        qs = qs.filter(pk__in=services.overdue(qs).values("key"))
    late = set(services.overdue(qs).values_list("key", flat=True))
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                k.person.name,
                k.person.grid.name,
                k.purpose,
                k.cabinet,
                k.slot,
                k.get_status_display(),
                "超期未还" if k.pk in late else "",
            ]
            for k in qs[:5000]
        ]
        services.looked_at(request.user, what="导出备用钥匙登记", count=len(rows))
        headers = ["居民", "网格", "用途", "钥匙柜", "格位", "状态", "提醒"]
        return download(write_workbook(headers, rows, sheet="备用钥匙"), "spare-keys.xlsx")
    page, query = paginate(request, qs)
    services.looked_at(request.user, what="查看备用钥匙登记", count=len(page.object_list))
    q = request.GET.get("q", "").strip()
    found = registry.search_persons(request.user, text=q)[:10] if q else []
    return render(
        request,
        "engagement/key_list.html",
        {
            "page": page,
            "query": query,
            "late": late,
            "found": found,
            "form": KeyForm(),
            "statuses": services.SpareKey.Status.choices,
        },
    )


@login_required
@permission_required(perms.KEEP_KEYS, raise_exception=True)
@require_POST
def key_new(request):
    form = KeyForm(request.POST)
    try:
        if not form.is_valid():
            raise refusal(form)
        d = form.cleaned_data
        person = registry.persons_for(request.user).filter(pk=d["person"]).first()
        if person is None:
            raise invalid("person", _("找不到该居民"), "not_found")
        key = services.register_key(
            person,
            purpose=d["purpose"],
            cabinet=d["cabinet"],
            slot=d["slot"],
            by=request.user,
            drawn=d["drawn"],
            upload=request.FILES.get("consent"),
        )
    except ValidationError as exc:
        tell(request, exc, form)
        return redirect("engagement:keys")
    messages.success(request, _("已登记备用钥匙：%(k)s") % {"k": key})
    return redirect("engagement:key", pk=key.pk)


def _key(request, pk: int):
    return get_visible_or_404(services.keys_for(request.user), request.user, grid_field="person__grid", pk=pk)


@login_required
@permission_required(perms.KEEP_KEYS, raise_exception=True)
def key(request, pk: int):
    k = _key(request, pk)
    services.looked_at(request.user, what=f"查看备用钥匙 {k}", count=1, key=k)
    return render(
        request,
        "engagement/key.html",
        {
            "k": k,
            "handouts": k.handouts.select_related("recorded_by"),
            "form": HandoutForm(),
            "late": services.overdue(services.keys_for(request.user)).filter(key=k).exists(),
        },
    )


@login_required
@permission_required(perms.KEEP_KEYS, raise_exception=True)
def key_consent(request, pk: int):
    k = _key(request, pk)
    services.looked_at(request.user, what=f"查看备用钥匙 {k} 的同意签名", count=1, key=k)
    return core_photos.served(k.consent, cache_control="private, no-store")


@login_required
@permission_required(perms.KEEP_KEYS, raise_exception=True)
@require_POST
def key_action(request, pk: int):
    k = _key(request, pk)
    action = request.POST.get("action")
    try:
        if action == "hand_out":
            form = HandoutForm(request.POST)
            if not form.is_valid():
                raise refusal(form)
            services.hand_out(k, by=request.user, **form.cleaned_data)
            messages.success(request, _("已登记借出"))
        elif action == "take_back":
            services.take_back(k, by=request.user)
            messages.success(request, _("钥匙已归还入柜"))
        elif action == "return_to_owner":
            services.return_to_owner(k, by=request.user)
            messages.success(request, _("钥匙已退还本人，登记已关闭"))
        else:
            raise invalid("action", _("未知的操作"), "unknown")
    except ValidationError as exc:
        tell(request, exc)
    return redirect("engagement:key", pk=pk)


@login_required
def my_keys(request):
    """The resident's own spare key: where it is kept and every time it left the cabinet."""
    person = registry.person_of_user(request.user)
    if person is None:
        raise Http404
    keys = services.SpareKey.objects.filter(person=person).prefetch_related("handouts").order_by("-created")
    return render(request, "engagement/my_keys.html", {"keys": keys})
