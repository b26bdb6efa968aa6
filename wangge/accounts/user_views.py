"""Account administration pages: list, create, scopes, disable (administrators only)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wangge.accounts import services as accounts
from wangge.accounts.models import Department, User
from wangge.audit import services as audit
from wangge.core import permissions as perms
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import add_service_errors
from wangge.core.pagination import paginate
from wangge.grids.models import Grid


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=User.Role.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"), queryset=Department.objects.all(), required=False
    )
    password = forms.CharField(label=gettext_lazy("初始密码"), widget=forms.PasswordInput)
    scopes = forms.CharField(
        label=gettext_lazy("辖区网格编码"), required=False, help_text=gettext_lazy("多个编码用逗号或空格分隔")
    )


class ScopeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("网格编码"), max_length=40)


def _codes(raw: str) -> list[str]:
    return [c for c in raw.replace("，", ",").replace(",", " ").split() if c]


@login_required
@permission_required(perms.MANAGE_USERS, raise_exception=True)
def user_list(request):
    qs = accounts.search_users(text=request.GET.get("q", "").strip(), role=request.GET.get("role", ""))
    if request.GET.get("format") == "xlsx":
        rows = (
            [
                u.username,
                u.full_name,
                u.phone or "",
                u.get_role_display(),
                str(u.department or ""),
                "是" if u.is_active else "否",
            ]
            for u in qs
        )
        audit.record(
            audit.Action.EXPORT, actor=request.user, object_type="accounts.user", object_repr="用户列表"
        )
        return download(
            write_workbook(["用户名", "姓名", "手机号", "角色", "部门", "启用"], rows, sheet="用户"),
            "users.xlsx",
        )
    page, query = paginate(request, qs)
    return render(
        request, "accounts/user_list.html", {"page": page, "query": query, "roles": User.Role.choices}
    )


@login_required
@permission_required(perms.MANAGE_USERS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        codes = _codes(d["scopes"])
        grids = {g.code: g for g in Grid.objects.filter(code__in=codes)}
        missing = [c for c in codes if c not in grids]
        if missing:
            form.add_error("scopes", _("找不到网格：%(codes)s") % {"codes": "、".join(missing)})
        else:
            try:
                with transaction.atomic():
                    user = accounts.create_user(
                        username=d["username"],
                        password=d["password"],
                        role=d["role"],
                        full_name=d["full_name"],
                        phone=d["phone"],
                        department=d["department"],
                        by=request.user,
                    )
                    for code in codes:
                        accounts.grant_scope(user, grids[code], by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已创建账号 %(name)s") % {"name": user.username})
                return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
@permission_required(perms.MANAGE_USERS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_detail(request, user_id: int):
    subject = get_object_or_404(User.objects.select_related("department"), pk=user_id)
    form = ScopeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grid = Grid.objects.filter(code=form.cleaned_data["code"].strip()).first()
        if grid is None:
            form.add_error("code", _("找不到该网格"))
        else:
            accounts.grant_scope(subject, grid, by=request.user)
            messages.success(request, _("已授予辖区 %(name)s") % {"name": grid.name})
            return redirect("accounts:user_detail", user_id=subject.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": subject,
            "form": form,
            "scopes": subject.scopes.select_related("grid", "grid__level"),
            "assignments": subject.grid_assignments.select_related("grid", "role").order_by("-valid_from"),
        },
    )


@login_required
@permission_required(perms.MANAGE_USERS, raise_exception=True)
@require_POST
def user_revoke_scope(request, user_id: int, grid_id: int):
    subject = get_object_or_404(User, pk=user_id)
    accounts.revoke_scope(subject, get_object_or_404(Grid, pk=grid_id), by=request.user)
    return redirect("accounts:user_detail", user_id=subject.pk)


@login_required
@permission_required(perms.MANAGE_USERS, raise_exception=True)
@require_POST
def user_toggle_active(request, user_id: int):
    subject = get_object_or_404(User, pk=user_id)
    try:
        accounts.set_active(subject, active=not subject.is_active, by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("accounts:user_detail", user_id=subject.pk)
