from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from wangge.accounts import services as accounts
from wangge.accounts.models import ApiToken

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
    from wangge.grids.models import Grid

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
