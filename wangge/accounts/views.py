from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
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
