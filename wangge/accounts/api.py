from datetime import datetime
from typing import Annotated

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from wangge.accounts import services as accounts
from wangge.accounts.models import ApiToken, Department
from wangge.core import outbox
from wangge.core import permissions as perms
from wangge.core.errors import invalid
from wangge.core.models import Message
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.grids.models import Grid

router = Router(tags=["账号 accounts"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_name: str
    department: str | None
    jurisdiction: list[str]


class TokenIn(Schema):
    name: str
    days: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    expires: datetime
    revoked: datetime | None
    last_used: datetime | None


class NewTokenOut(TokenOut):
    key: str


@router.get("/me", response=MeOut, summary="当前用户与辖区")
def me(request):
    user = request.user
    paths = accounts.jurisdiction_paths(user)
    codes = list(Grid.objects.filter(path__in=paths).values_list("code", flat=True))
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_name": user.get_role_display(),
        "department": user.department.name if user.department else None,
        "jurisdiction": codes,
    }


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
def list_tokens(request):
    return list(accounts.tokens_of(request.user))


@router.post("/tokens", response={201: NewTokenOut}, summary="新建 API 令牌（密钥只显示一次）")
def create_token(request, body: TokenIn):
    token, key = accounts.issue_token(request.user, name=body.name, days=body.days)
    token.key = key
    return Status(201, token)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="吊销 API 令牌")
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    return accounts.revoke_token(token, by=request.user)


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    phone: str | None
    role: str
    department: str | None = Field(None, alias="department.key")
    is_active: bool


class UserIn(Schema):
    username: str
    full_name: str = ""
    phone: str | None = None
    role: str
    department: str | None = None
    password: str
    scopes: list[str] = []


class UserPage(Schema):
    count: int
    page: int
    items: list[UserOut]


@router.get("/users", response=UserPage, summary="账号列表（管理员）")
def list_users(request, q: str = "", role: str = "", page: int = Query(1, ge=1)):
    require(request.user, perms.MANAGE_USERS)
    qs = accounts.search_users(text=q, role=role)
    return api_page(qs, page)


@router.post("/users", response={201: UserOut}, summary="新建账号（管理员）")
def create_user(request, body: UserIn):

    require(request.user, perms.MANAGE_USERS)
    department = None
    if body.department:
        department = Department.objects.filter(key=body.department).first()
        if department is None:
            raise invalid("department", f"未知的部门：{body.department}", "unknown")
    grids = {g.code: g for g in Grid.objects.filter(code__in=body.scopes)}
    missing = [c for c in body.scopes if c not in grids]
    if missing:
        raise invalid("scopes", f"找不到网格：{'、'.join(missing)}", "not_found")
    with transaction.atomic():
        user = accounts.create_user(
            username=body.username,
            password=body.password,
            role=body.role,
            full_name=body.full_name,
            phone=body.phone,
            department=department,
            by=request.user,
        )
        for code in body.scopes:
            accounts.grant_scope(user, grids[code], by=request.user)
    return Status(201, user)


def _user(user_id: int):
    return get_object_or_404(accounts.search_users(text="", role=""), pk=user_id)


class ScopeIn(Schema):
    grid: str = Field(max_length=40, description="网格编码")


class ActiveIn(Schema):
    active: bool


@router.post("/users/{user_id}/scopes", response=UserOut, summary="授予辖区（管理员）")
def grant_scope(request, user_id: int, body: ScopeIn):
    require(request.user, perms.MANAGE_USERS)
    grid = Grid.objects.filter(code=body.grid).first()
    if grid is None:
        raise invalid("grid", f"找不到网格：{body.grid}", "not_found")
    subject = _user(user_id)
    accounts.grant_scope(subject, grid, by=request.user)
    return subject


@router.delete("/users/{user_id}/scopes/{grid_code}", response=UserOut, summary="收回辖区（管理员）")
def revoke_scope(request, user_id: int, grid_code: str):
    require(request.user, perms.MANAGE_USERS)
    subject = _user(user_id)
    accounts.revoke_scope(subject, get_object_or_404(Grid, code=grid_code), by=request.user)
    return subject


@router.post("/users/{user_id}/active", response=UserOut, summary="停用或启用账号（管理员；账号不删除）")
def set_active(request, user_id: int, body: ActiveIn):
    require(request.user, perms.MANAGE_USERS)
    return accounts.set_active(_user(user_id), active=body.active, by=request.user)


class MessageOut(Schema):
    id: int
    title: str = Field(alias="shown_title", description="标题（按请求的语言）")
    body: str
    link: str
    created: datetime
    read_at: datetime | None


class MessagePage(Schema):
    count: int
    page: int
    unread: int
    items: list[MessageOut]


class ReadIn(Schema):
    # neither ids nor link: every unread message (ids within a database integer: a larger one is no message)
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(default=[], max_length=1000)
    link: str | None = Field(default=None, max_length=255, description="这一链接（一件事件）的全部未读消息")


class DigestLine(Schema):
    link: str
    count: int
    title: str
    latest_at: datetime


class DigestPage(Schema):
    count: int
    page: int
    unread: int
    items: list[DigestLine]


@router.get("/messages", response=MessagePage, summary="我的站内消息（新的在前）")
def my_messages(request, unread_only: bool = False, page: int = 1):
    qs = Message.objects.filter(user=request.user)
    unread = qs.filter(read_at__isnull=True)
    return {**api_page(unread if unread_only else qs, page), "unread": unread.count()}


@router.get("/messages/digest", response=DigestPage, summary="未读消息按事件归并（每件一行：条数、最新一条）")
def message_digest(request, page: int = 1):
    found = api_page(outbox.digest(request.user), page)
    found["items"] = outbox.with_titles(found["items"])
    return {**found, "unread": outbox.unread_count(request.user)}


@router.post(
    "/messages/read", response=MessagePage, summary="标为已读（ids，或一件事件的 link；都不给即全部已读）"
)
def read_messages(request, body: ReadIn):
    outbox.mark_read(request.user, ids=body.ids, link=body.link)
    return my_messages(request)
