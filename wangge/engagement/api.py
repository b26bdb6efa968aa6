"""Points in the JSON API: a resident's own points and card, a holder's month, a grant by a rule (the
worker's phone), and a redemption at the counter (a scanned card or an account number). Client ids keep
a retried submission single."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wangge.core import dates
from wangge.core.errors import invalid
from wangge.core.permissions import require
from wangge.engagement import permissions as perms
from wangge.engagement import services

router = Router(tags=["积分 points"])


class EntryOut(Schema):
    id: int
    at: datetime
    kind: str
    reason: str
    points: int = Field(description="正数为获得，负数为支出")


class HolderOut(Schema):
    id: int
    kind: str
    holder: str
    grid: str
    balance: int
    month: str
    opening: int
    closing: int
    entries: list[EntryOut]
    card: str | None = Field(None, description=f"积分码（仅本人可见，{services.CARD_MINUTES} 分钟内有效）")


def _holder(account, month, *, card: bool = False) -> dict:
    st = services.statement(account, month)
    account.refresh_from_db(fields=["balance"])
    return {
        "id": account.pk, "kind": account.kind, "holder": services.holder_label(account),
        "grid": account.grid.code, "balance": account.balance, "month": f"{month:%Y-%m}",
        "opening": st.opening, "closing": st.closing,
        "entries": [{"id": e.pk, "at": e.at, "kind": e.kind, "reason": e.reason,
                     "points": e.amount if e.credit_id == account.pk else -e.amount} for e in st.entries],
        "card": services.card_token(account) if card else None,
    }  # fmt: skip


@router.get("/points/me", response=list[HolderOut], summary="我的积分（本人及本户）")
def my_points(request, month: str = ""):
    return [
        _holder(a, dates.month_or_this(month), card=True) for a in services.accounts_of_resident(request.user)
    ]


@router.get("/points/accounts/{account_id}", response=HolderOut, summary="一个积分账户的月度明细")
def holder(request, account_id: int, month: str = ""):
    require(request.user, perms.VIEW)
    return _holder(services.get_holder_or_404(request.user, account_id), dates.month_or_this(month))


class GrantIn(Schema):
    person: int = Field(description="居民编号（按户计分的规则发给其家庭户）")
    rule: str = Field(description="积分规则，如 volunteer_hour")
    quantity: float = 1
    detail: str = ""
    client_id: str = ""


class GrantOut(Schema):
    id: int
    holder: str
    amount: int
    reason: str
    balance: int


@router.post("/points/grants", response={201: GrantOut}, summary="按规则发放积分（client_id 防重复提交）")
def grant(request, body: GrantIn):
    require(request.user, perms.GRANT)
    account = services.person_account_or_404(request.user, body.person)
    given = services.earn(body.rule, by=request.user, person=account.person, quantity=body.quantity,
                          detail=body.detail, client_id=body.client_id)  # fmt: skip
    credit = given.credit
    return Status(201, {"id": given.pk, "holder": services.holder_label(credit), "amount": given.amount,
                        "reason": given.reason, "balance": credit.balance})  # fmt: skip


class RedeemIn(Schema):
    goods: int
    quantity: int = 1
    card: str = Field("", description="扫描居民积分码所得的内容")
    account: int | None = Field(None, description="或积分账户编号")
    note: str = ""
    client_id: str = ""


class ReceiptOut(Schema):
    id: int
    number: str
    shop: str
    holder: str
    goods: str
    quantity: int
    points: int
    balance: int
    note: str


@router.post(
    "/points/redemptions", response={201: ReceiptOut}, summary="积分超市兑换（client_id 防重复提交）"
)
def redeem(request, body: RedeemIn):
    require(request.user, perms.RUN_SHOP)
    if body.card:
        account = services.account_by_card(request.user, body.card)
    elif body.account is not None:
        try:
            account = services.get_holder_or_404(request.user, body.account)
        except Http404:
            raise invalid("account", _("找不到该积分账户"), "not_found") from None
    else:
        raise invalid("card", _("请扫描积分码或填写积分账户"), "required")
    goods = services.goods_in_reach(request.user, body.goods)
    r = services.redeem_goods(account, goods, body.quantity, by=request.user, client_id=body.client_id,
                              note=body.note)  # fmt: skip
    r.account.refresh_from_db(fields=["balance"])
    return Status(201, {"id": r.pk, "number": r.number, "shop": r.shop.name,
                        "holder": services.holder_label(r.account),
                        "goods": r.goods.name, "quantity": r.quantity, "points": r.points,
                        "balance": r.account.balance, "note": r.note})  # fmt: skip
