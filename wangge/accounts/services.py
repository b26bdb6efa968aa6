"""Accounts: users, departments, jurisdiction scopes and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import ApiToken, Department, JurisdictionScope, MessagePreference, User
from wangge.audit import services as audit
from wangge.core.errors import invalid
from wangge.core.models import MessageKind
from wangge.grids.jurisdiction import (  # noqa: F401  (re-exported: the one scoping helper)
    can_see_grid,
    forget,
    get_visible_or_404,
    jurisdiction_paths,
    top_grids,
    visible,
)
from wangge.grids.models import RoleAssignment

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
TOKEN_PREFIX = "wg_"


def normalise_phone(phone: str | None) -> str | None:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        return None
    if not PHONE_RE.match(phone):
        raise invalid("phone", _("手机号应为 11 位数字，以 1 开头"), "invalid")
    return phone


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str,
    full_name: str = "",
    phone: str | None = None,
    department: Department | None = None,
    password_hash: str | None = None,
    check_password: bool = True,
    by=None,
) -> User:
    """Open an account. `password_hash` lets bulk loaders reuse one hash instead of hashing each time."""
    username = (username or "").strip()
    if not username:
        raise invalid("username", _("请填写用户名"), "required")
    if User.objects.filter(username=username).exists():
        raise invalid("username", _("用户名 %(name)s 已存在") % {"name": username}, "taken")
    if role not in User.Role.values:
        raise invalid("role", _("未知的角色：%(role)s") % {"role": role}, "unknown")
    phone = normalise_phone(phone)
    if phone and User.objects.filter(phone=phone).exists():
        raise invalid("phone", _("手机号 %(phone)s 已被其他账号使用") % {"phone": phone}, "taken")
    if role == User.Role.DEPARTMENT_STAFF and department is None:
        raise invalid("department", _("部门工作人员必须选择部门"), "required")
    user = User(username=username, role=role, full_name=full_name, phone=phone, department=department)
    if password_hash:
        user.password = password_hash
    elif password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationError({"password": exc.error_list}) from exc  # the validators' own codes
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_superuser = role == User.Role.ADMIN
    user.save()
    if by is not None:
        audit.record(audit.Action.CREATE, actor=by, obj=user, detail={"role": role})
    return user


def grant_scope(user: User, grid, *, by=None) -> JurisdictionScope:
    scope, created = JurisdictionScope.objects.get_or_create(user=user, grid=grid)
    if created and by is not None:
        audit.record(audit.Action.CREATE, actor=by, obj=scope, object_repr=f"{user} → {grid}")
    forget(user)
    return scope


def revoke_scope(user: User, grid, *, by=None) -> None:
    deleted, _ = JurisdictionScope.objects.filter(user=user, grid=grid).delete()
    if deleted and by is not None:
        audit.record(
            audit.Action.DELETE,
            actor=by,
            object_type="accounts.jurisdictionscope",
            object_repr=f"{user} → {grid}",
        )
    forget(user)


@transaction.atomic
def set_active(user: User, *, active: bool, by) -> User:
    """Disable or re-enable an account (accounts are never deleted: the audit log points at them)."""
    if user == by and not active:
        raise invalid("is_active", _("不能停用自己的账号"), "not_allowed")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(audit.Action.UPDATE, actor=by, obj=user, detail={"is_active": active})
    return user


def search_users(*, text: str = "", role: str = ""):

    qs = User.objects.select_related("department").order_by("username")
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(full_name__icontains=text) | Q(phone__startswith=text))
    if role:
        qs = qs.filter(role=role)
    return qs


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, *, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new personal token; the key is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写令牌用途"), "required")
    days = days or settings.API_TOKEN_DAYS
    if not 1 <= days <= 366:
        raise invalid("days", _("有效期应在 1 到 366 天之间"), "out_of_range")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:10],
        key_hash=_hash(key),
        expires=timezone.now() + timedelta(days=days),
    )
    audit.record(
        audit.Action.TOKEN,
        actor=user,
        obj=token,
        object_repr=f"{name} {token.prefix}…",
        detail={"issued": True},
    )
    return token, key


def revoke_token(token: ApiToken, *, by: User) -> ApiToken:
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked", "last_updated"])
        audit.record(
            audit.Action.TOKEN,
            actor=by,
            obj=token,
            object_repr=f"{token.name} {token.prefix}…",
            detail={"revoked": True},
        )
    return token


def user_for_token(key: str) -> User | None:
    """The active user behind a token key, or None if unknown, expired or revoked."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked__isnull=True, expires__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user)


# --- the people of a unit (whom a notification to a grid or a department reaches) ----------------

UNIT_LIMIT = 50  # people told per unit notification


def unit_users(grid_id: int | None = None, department_id: int | None = None) -> QuerySet:
    """The people of a unit: a department's staff, or those holding a role or a scope on the grid."""
    if department_id is not None:
        return User.objects.filter(department_id=department_id, is_active=True)
    if grid_id is None:
        return User.objects.none()
    held = Q(grid_assignments__grid_id=grid_id, grid_assignments__valid_to__isnull=True)
    return User.objects.filter(held | Q(scopes__grid_id=grid_id), is_active=True).distinct()


def unit_people(units) -> dict[tuple[int | None, int | None], list[int]]:
    """The people of several units at once, (grid_id, department_id) each, as `unit_users` finds them (at
    most UNIT_LIMIT a unit): a query for departments and two for grids, however many units are named."""
    found: dict[tuple[int | None, int | None], set[int]] = {unit: set() for unit in units}
    departments = {d for g, d in found if d is not None}
    grids = {g for g, d in found if d is None and g is not None}
    if departments:
        staff = User.objects.filter(department_id__in=departments, is_active=True)
        for department_id, pk in staff.values_list("department_id", "pk"):
            found[(None, department_id)].add(pk)
    if grids:
        held = RoleAssignment.objects.filter(grid_id__in=grids, valid_to__isnull=True, user__is_active=True)
        scoped = JurisdictionScope.objects.filter(grid_id__in=grids, user__is_active=True)
        for qs in (held, scoped):
            for grid_id, pk in qs.values_list("grid_id", "user_id"):
                found[(grid_id, None)].add(pk)
    return {unit: sorted(people)[:UNIT_LIMIT] for unit, people in found.items()}


# --- message preferences (消息设置) and the WeChat binding -------------------------------------------------

# Without a choice of their own: a resident hears of their report by SMS as they did when they gave their
# phone; WeChat, once someone binds it, carries their work and its deadlines. Everything else stays in-site.
DEFAULT_CHANNELS: dict[str, tuple[bool, bool]] = {
    MessageKind.MY_REPORT: (True, True),
    MessageKind.WORK: (False, True),
    MessageKind.DEADLINE: (False, True),
    MessageKind.OTHER: (False, False),
}


@dataclass(frozen=True)
class ChannelChoice:
    kind: str
    label: str
    sms: bool
    wechat: bool


def preferences(user: User) -> list[ChannelChoice]:
    """The user's choice for each kind of message (their own where they made one, else the default)."""
    own = {p.kind: (p.sms, p.wechat) for p in MessagePreference.objects.filter(user=user)}
    return [
        ChannelChoice(kind, str(label), *own.get(kind, DEFAULT_CHANNELS[kind]))
        for kind, label in MessageKind.choices
    ]


@transaction.atomic
def set_preferences(user: User, choices: dict[str, tuple[bool, bool]]) -> list[ChannelChoice]:
    """Keep the user's choice of SMS and WeChat per kind; SMS needs a phone on the account, WeChat a
    bound WeChat (else the choice could never be honoured and the user would wait for nothing)."""
    for kind in choices:
        if kind not in MessageKind.values:
            raise invalid("kind", _("没有这种消息类别：%(kind)s") % {"kind": kind}, "unknown")
    if any(sms for sms, _w in choices.values()) and not user.phone:
        raise invalid("sms", _("账号没有手机号，不能接收短信；请先请管理员登记手机号"), "invalid")
    if any(wechat for _s, wechat in choices.values()) and not user.wechat_openid:
        raise invalid("wechat", _("还没有绑定微信，请先绑定"), "invalid")
    for kind, (sms, wechat) in choices.items():
        MessagePreference.objects.update_or_create(
            user=user, kind=kind, defaults={"sms": sms, "wechat": wechat}
        )
    return preferences(user)


def personal_channels(user_ids, kinds) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """For the outbox: by which channels beyond the site, at which address, each of these users wants each
    of these kinds: {(user id, kind): [("sms", phone), ("wechat", openid)]}. Two queries however many."""
    if not user_ids:
        return {}
    own = {
        (u, k): (sms, wechat)
        for u, k, sms, wechat in MessagePreference.objects.filter(
            user_id__in=user_ids, kind__in=kinds
        ).values_list("user_id", "kind", "sms", "wechat")
    }
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    users = User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "phone", "wechat_openid")
    for pk, phone, openid in users:
        for kind in kinds:
            sms, wechat = own.get((pk, kind), DEFAULT_CHANNELS.get(kind, (False, False)))
            addresses = ([("sms", phone)] if sms and phone else []) + (
                [("wechat", openid)] if wechat and openid else []
            )
            if addresses:
                found[(pk, kind)] = addresses
    return found


def wechat_configured() -> bool:
    return bool(settings.WECHAT["app_id"])


@transaction.atomic
def bind_wechat(user: User, code: str) -> User:
    """Bind the WeChat the user just signed in with (WeChat's `code`, exchanged for the openid by
    wechatpy); one WeChat, one account."""
    from wangge.core import messaging

    try:
        openid = messaging.wechat_openid(code)
    except Exception as exc:  # WeChat refused the code (expired, used twice) or could not be reached
        raise invalid(
            "code", _("微信登录未完成，请重试（%(why)s）") % {"why": str(exc)[:80]}, "invalid"
        ) from exc
    if User.objects.filter(wechat_openid=openid).exclude(pk=user.pk).exists():
        raise invalid("code", _("这个微信已绑定其他账号"), "taken")
    user.wechat_openid = openid
    user.save(update_fields=["wechat_openid"])
    audit.record(audit.Action.UPDATE, actor=user, obj=user, detail={"wechat": "bound"})
    return user


@transaction.atomic
def unbind_wechat(user: User) -> User:
    user.wechat_openid = None
    user.save(update_fields=["wechat_openid"])
    MessagePreference.objects.filter(user=user, wechat=True).update(wechat=False)
    audit.record(audit.Action.UPDATE, actor=user, obj=user, detail={"wechat": "unbound"})
    return user
