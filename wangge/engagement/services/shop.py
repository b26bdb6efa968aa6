"""The points shop (爱心积分超市): goods donated by units (each with its donor), stock kept in moves, and
redemption at the counter.

A redemption locks the goods' row first, then the two accounts (always in that order, so two
redemptions never wait on each other crosswise), checks the stock and the balance, and writes the points
transfer, the stock move and the receipt in one transaction: two cashiers selling the last item at once
sell it once, and a point is never spent twice (row locks on PostgreSQL; on SQLite the first write takes
the database's write lock, as every transaction here begins IMMEDIATE)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import idempotency
from wangge.core.errors import invalid
from wangge.engagement.models import Donor, Goods, PointAccount, Redemption, Shop, StockMove
from wangge.engagement.services.ledger import A, T, community_account, correct, move_locked
from wangge.grids.models import Grid

M = StockMove.Kind
MOST_ITEMS = 10_000


def open_shop(grid: Grid, *, name: str, address: str = "", opening_hours: str = "") -> Shop:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写超市名称"), "required")
    if Shop.objects.filter(grid=grid).exists():
        raise invalid("grid", _("%(g)s 已有积分超市") % {"g": grid.name}, "taken")
    shop = Shop.objects.create(grid=grid, name=name, address=address.strip(), opening_hours=opening_hours)
    community_account(grid, A.SHOP)  # its till exists before the first redemption locks it
    return shop


def shop_account(shop: Shop) -> PointAccount:
    return community_account(shop.grid, A.SHOP)


def donor_named(grid: Grid, name: str, kind: str = Donor.Kind.UNIT) -> Donor:
    """The community's donor of that name (recorded on first use)."""
    name = (name or "").strip()
    if not name:
        raise invalid("donor", _("请填写捐赠方"), "required")
    if kind not in Donor.Kind.values:
        raise invalid("donor_kind", _("未知的捐赠方类型"), "unknown")
    found, _made = Donor.objects.get_or_create(grid=grid, name=name[:64], defaults={"kind": kind})
    return found


def _count(raw, field: str = "quantity") -> int:
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise invalid(field, _("数量应为正整数"), "invalid") from None
    if not 1 <= n <= MOST_ITEMS:
        raise invalid(field, _("数量应在 1 到 %(n)s 之间") % {"n": MOST_ITEMS}, "out_of_range")
    return n


def add_goods(shop: Shop, *, name: str, price, unit: str = "件") -> Goods:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写商品名称"), "required")
    price = _count(price, "price")
    if Goods.objects.filter(shop=shop, name=name).exists():
        raise invalid("name", _("本超市已有同名商品"), "taken")
    return Goods.objects.create(shop=shop, name=name[:64], price=price, unit=(unit or "件")[:8])


@transaction.atomic
def stock_in(
    goods: Goods, quantity, *, by, donor: Donor | None = None, bought: bool = False, note: str = ""
) -> StockMove:
    """Goods onto the shelf: donated (with the donor) or bought."""
    n = _count(quantity)
    if not bought and donor is None:
        raise invalid("donor", _("捐赠入库请填写捐赠方"), "required")
    Goods.objects.select_for_update().filter(pk=goods.pk).update(stock=F("stock") + n)
    return StockMove.objects.create(
        goods=goods,
        kind=M.BOUGHT if bought else M.DONATED,
        quantity=n,
        donor=None if bought else donor,
        note=note[:200],
        by=by,
    )


@transaction.atomic
def write_off(goods: Goods, quantity, *, by, note: str) -> StockMove:
    """Goods off the shelf that nobody redeemed (spoiled, expired): the reason is required."""
    n = _count(quantity)
    if not (note or "").strip():
        raise invalid("note", _("请填写报损原因"), "required")
    locked = Goods.objects.select_for_update().get(pk=goods.pk)
    if locked.stock < n:
        raise invalid(
            "quantity", _("库存不足：现有 %(s)s，报损 %(n)s") % {"s": locked.stock, "n": n}, "out_of_range"
        )
    Goods.objects.filter(pk=goods.pk).update(stock=F("stock") - n)
    return StockMove.objects.create(goods=goods, kind=M.WRITTEN_OFF, quantity=-n, note=note[:200], by=by)


def _receipt_number(shop: Shop, transfer_pk: int) -> str:
    """The shop, the day and the points transfer's number: unique without counting the day's receipts."""
    return f"{shop.pk:03d}-{timezone.localdate():%Y%m%d}-{transfer_pk}"


def redeem_goods(
    account: PointAccount, goods: Goods, quantity=1, *, by, client_id: str = "", note: str = ""
) -> Redemption:
    """Exchange points for goods at the counter; the receipt. A retried submission (the same client id
    from the same cashier) is stored once."""
    n = _count(quantity)
    if account.kind not in (A.PERSON, A.HOUSEHOLD):
        raise invalid("account", _("请选择居民或家庭户的积分账户"), "invalid")
    sender = idempotency.sender(by)
    if first := idempotency.sent_before(Redemption.objects, client_id, sender):
        return first
    try:
        with transaction.atomic():
            # the goods' row alone (`of`: not the shop's joined with it), then both accounts in id order
            locked = Goods.objects.select_for_update(of=("self",)).select_related("shop").get(pk=goods.pk)
            if not locked.on_shelf:
                raise invalid("goods", _("%(g)s 已下架") % {"g": locked.name}, "closed")
            if locked.stock < n:
                raise invalid(
                    "quantity",
                    _("%(g)s 库存不足：现有 %(s)s%(u)s，要兑换 %(n)s%(u)s")
                    % {"g": locked.name, "s": locked.stock, "n": n, "u": locked.unit},
                    "out_of_range",
                )
            shop = locked.shop
            both = (
                PointAccount.objects.select_for_update()
                .filter(Q(pk=account.pk) | Q(grid_id=shop.grid_id, kind=A.SHOP))
                .order_by("pk")
            )
            holder = next(a for a in both if a.pk == account.pk)
            till = next(a for a in both if a.kind == A.SHOP)
            reason = _("兑换 %(g)s × %(n)s") % {"g": locked.name, "n": n}
            points = move_locked(
                T.REDEEM, debit=holder, credit=till, amount=locked.price * n, reason=reason, by=by
            )
            Goods.objects.filter(pk=goods.pk).update(stock=F("stock") - n)
            made = Redemption.objects.create(
                number=_receipt_number(shop, points.pk),
                shop=shop,
                goods=locked,
                quantity=n,
                points=points.amount,
                account=account,
                transfer=points,
                by=by,
                note=(note or "").strip()[:120],
                **idempotency.keyed(client_id, sender),
            )
            StockMove.objects.create(goods=locked, kind=M.REDEEMED, quantity=-n, redemption=made, by=by)
            account.balance = holder.balance
            return made
    except IntegrityError:
        if first := idempotency.sent_before(Redemption.objects, client_id, sender):
            return first
        raise


@transaction.atomic
def undo_redemption(redemption: Redemption, *, reason: str, by) -> Redemption:
    """The goods came back (wrong item, a mistake at the counter): the points go back by a correction and
    the goods back onto the shelf. Once."""
    Goods.objects.select_for_update().filter(pk=redemption.goods_id).update(
        stock=F("stock") + redemption.quantity
    )
    correct(redemption.transfer, reason=reason or _("退回兑换"), by=by)
    StockMove.objects.create(
        goods_id=redemption.goods_id,
        kind=M.RETURNED,
        quantity=redemption.quantity,
        redemption=redemption,
        note=(reason or "")[:200],
        by=by,
    )
    return redemption


def stock_mismatches() -> list[tuple[Goods, int]]:
    """Goods whose stock differs from the sum of their moves (none, always)."""
    moved = dict(StockMove.objects.values_list("goods").annotate(n=Sum("quantity")).order_by())
    return [(g, moved.get(g.pk, 0)) for g in Goods.objects.order_by("pk") if g.stock != moved.get(g.pk, 0)]
