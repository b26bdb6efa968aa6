import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from wangge.accounts import services as accounts
from wangge.accounts.models import ApiToken
from wangge.audit import services as audit
from wangge.core.forms import add_service_errors


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("手机号或用户名"), max_length=150)
    password = forms.CharField(label=gettext_lazy("密码"), widget=forms.PasswordInput)


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("用途"), max_length=64)
    days = forms.IntegerField(label=gettext_lazy("有效天数"), min_value=1, max_value=366, initial=90)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=lambda g, r: settings.RATE_LOGIN, method="POST", block=True)
def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        # through django.contrib.auth, so that django-axes counts the failure (and refuses a locked pair)
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is None:
            form.add_error(None, _("手机号/用户名或密码不正确"))
        else:
            login(request, user, backend="wangge.accounts.backends.PhoneOrUsernameBackend")
            audit.record(audit.Action.LOGIN, actor=user, obj=user)
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = ""
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def login_name(request, credentials) -> str:
    """What django-axes counts failures by: the name or phone as typed, less spaces."""
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    return name.strip()


def locked_out(request, credentials=None, *args, **kwargs):
    """The answer to a (name, address) pair past its failures: the same for a known and an unknown name."""
    form = LoginForm(request.POST or None)
    minutes = settings.LOGIN_LOCK_MINUTES
    form.is_valid()
    form.add_error(None, _("登录失败次数过多，请 %(m)d 分钟后再试。") % {"m": minutes})
    return render(request, "accounts/login.html", {"form": form, "next": ""}, status=429)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = accounts.issue_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": accounts.tokens_of(request.user), "new_key": new_key},
    )


@login_required
@require_POST
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    accounts.revoke_token(token, by=request.user)
    messages.success(request, _("已吊销令牌 %(name)s") % {"name": token.name})
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """消息设置: per kind of message, whether it also comes by SMS or WeChat (the site always has it)."""
    user = request.user
    errors: list[str] = []
    if request.method == "POST":
        choices = {
            c.kind: (request.POST.get(f"{c.kind}:sms") == "1", request.POST.get(f"{c.kind}:wechat") == "1")
            for c in accounts.preferences(user)
        }
        try:
            accounts.set_preferences(user, choices)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("消息设置已保存"))
            return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {
        "choices": accounts.preferences(user), "errors": errors, "wechat_ready": accounts.wechat_configured(),
    })  # fmt: skip


@login_required
@require_POST
def wechat_bind(request):
    """Off to WeChat's sign-in (inside WeChat's browser); it comes back to `wechat_callback` with a code."""
    if not accounts.wechat_configured():
        messages.error(request, _("本站未配置微信公众号"))
        return redirect("accounts:notifications")
    from wangge.core import messaging

    state = secrets.token_urlsafe(16)
    request.session["wechat_state"] = state
    back = request.build_absolute_uri(reverse("accounts:wechat_callback"))
    return redirect(messaging.wechat_authorize_url(back, state))


@login_required
@require_GET
def wechat_callback(request):
    expected = request.session.pop("wechat_state", None)
    if not expected or request.GET.get("state") != expected:
        messages.error(request, _("微信登录已过期或不是从本站发起的，请重新绑定"))
        return redirect("accounts:notifications")
    try:
        accounts.bind_wechat(request.user, request.GET.get("code", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已绑定微信"))
    return redirect("accounts:notifications")


@login_required
@require_POST
def wechat_unbind(request):
    accounts.unbind_wechat(request.user)
    messages.success(request, _("已解除微信绑定"))
    return redirect("accounts:notifications")
