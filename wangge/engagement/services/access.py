"""Who reaches which accounts and shops: the user's jurisdiction decides, before anything a caller sent is
looked up (a card's token, an account number, a goods id). A resident reaches only their own accounts."""

from __future__ import annotations

from django.core import signing
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.core.errors import invalid
from wangge.engagement.models import Goods, PointAccount, Redemption, Shop
from wangge.engagement.services.earning import holders_of
from wangge.engagement.services.ledger import account_of
from wangge.engagement.services.reports import holders_for
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.registry import services as registry

CARD_SALT = "wangge.engagement.points-card"
CARD_MINUTES = 10  # a card shown on a phone is good for a short while: a photo of it soon runs out


def holder_label(account: PointAccount) -> str:
    if account.household is not None:
        return _("%(n)s 户") % {"n": account.household.number}
    return account.person.name if account.person is not None else str(account)


def holders_with_names(user) -> QuerySet[PointAccount]:
    return holders_for(user).select_related("person", "household", "grid")


def get_holder_or_404(user, pk: int) -> PointAccount:
    return get_visible_or_404(holders_with_names(user), user, pk=pk)


def person_account_or_404(user, person_id: int) -> PointAccount:
    """A person's account (opened on first use), if the person is in the user's jurisdiction."""
    person = registry.persons_for(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return account_of(person=person)


def accounts_of_resident(user) -> list[PointAccount]:
    """A resident's own accounts (their person's and their household's); none when not in the register."""
    person = registry.person_of_user(user)
    return holders_of(person) if person is not None else []


def card_token(account: PointAccount) -> str:
    """What the resident's points card (a QR code on their phone) carries: a signed account number."""
    return signing.dumps({"a": account.pk}, salt=CARD_SALT, compress=True)


def account_by_card(user, token: str) -> PointAccount:
    """The account a scanned card names, if it is in the cashier's jurisdiction (else the same refusal as
    a card that does not exist: a card never tells a cashier of another community whose it is)."""
    try:
        pk = signing.loads((token or "").strip(), salt=CARD_SALT, max_age=CARD_MINUTES * 60)["a"]
    except signing.SignatureExpired:
        raise invalid("card", _("积分码已过期，请居民刷新后再出示"), "expired") from None
    except (signing.BadSignature, KeyError, TypeError):
        raise invalid("card", _("无法识别的积分码"), "not_found") from None
    found = holders_for(user).filter(pk=pk).first()
    if found is None:
        raise invalid("card", _("无法识别的积分码"), "not_found")
    return found


def shops_of_resident(user) -> list[Shop]:
    """The shops of the grids a resident lives in (their grid and the grids above it)."""
    person = registry.person_of_user(user)
    if person is None:
        return []
    return list(Shop.objects.filter(grid__in=grids.chain(person.grid)).select_related("grid"))


def shops_for(user) -> QuerySet[Shop]:
    return visible(Shop.objects.select_related("grid"), user)


def get_shop_or_404(user, pk: int) -> Shop:
    return get_visible_or_404(Shop.objects.select_related("grid"), user, pk=pk)


def shop_goods(shop: Shop) -> QuerySet[Goods]:
    return shop.goods.order_by("price", "name")


def goods_of_shop(shop: Shop, goods_id) -> Goods:
    found = shop.goods.filter(pk=goods_id).first() if str(goods_id).isdigit() else None
    if found is None:
        raise invalid("goods", _("本超市没有这件商品"), "not_found")
    return found


def goods_in_reach(user, goods_id) -> Goods:
    """Goods of a shop in the user's jurisdiction (else the same refusal as goods that do not exist)."""
    found = (
        visible(Goods.objects.select_related("shop"), user, grid_field="shop__grid")
        .filter(pk=goods_id)
        .first()
    )
    if found is None:
        raise invalid("goods", _("找不到这件商品"), "not_found")
    return found


def receipts_for(user) -> QuerySet[Redemption]:
    return visible(Redemption.objects.select_related("shop", "goods", "account", "by"), user,
                   grid_field="shop__grid")  # fmt: skip


def get_receipt_or_404(user, pk: int) -> Redemption:
    """A receipt, to the shop's staff or to the resident who redeemed."""
    if getattr(user, "role", "") == "resident":
        mine = [a.pk for a in accounts_of_resident(user)]
        found = Redemption.objects.select_related("shop", "goods", "account", "by").filter(
            pk=pk, account__in=mine
        )
        if not found:
            raise Http404
        return found[0]
    return get_visible_or_404(receipts_for(user), user, grid_field="shop__grid", pk=pk)
