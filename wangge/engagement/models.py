"""积分 (points): an append-only, double-entry ledger. Every grant, redemption, expiry and correction is one
transfer, which debits one account and credits another by the same amount (the entry pair); a correction
is a new transfer the other way. Each account's balance is kept beside it, changed in the transaction that
writes the transfer, and always equals its credits less its debits (`services.check_balances`). A
resident's or a household's balance never goes below zero (a database constraint too); the community's
issuing account does (it is where points come from)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency


class PointAccount(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        HOUSEHOLD = "household", _("家庭户")  # village governance points are per household
        ISSUER = "issuer", _("积分发放")  # a community's: where granted points come from
        SHOP = "shop", _("积分超市")  # where redeemed points go
        EXPIRED = "expired", _("过期积分")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    person = models.OneToOneField("registry.Person", models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("居民"))  # fmt: skip
    household = models.OneToOneField("registry.Household", models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("家庭户"))  # fmt: skip
    balance = models.IntegerField(_("余额"), default=0)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["person", "household"]) | Q(balance__gte=0),
                name="point_balance_not_negative",
                violation_error_message=_("积分余额不能为负"),
            ),
            models.UniqueConstraint(
                fields=["grid", "kind"], condition=Q(kind__in=["issuer", "shop", "expired"]),
                name="point_account_one_per_grid",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class PointTransfer(models.Model):
    """One entry pair (append-only): `amount` leaves `debit` and reaches `credit`."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("发放")
        REDEEM = "redeem", _("兑换")
        EXPIRE = "expire", _("过期")
        CORRECT = "correct", _("更正")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    debit = models.ForeignKey(PointAccount, models.PROTECT, related_name="debits", verbose_name=_("转出账户"))
    credit = models.ForeignKey(
        PointAccount, models.PROTECT, related_name="credits", verbose_name=_("转入账户")
    )
    amount = models.PositiveIntegerField(_("积分"))
    reason = models.CharField(_("事由"), max_length=200)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    corrects = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="correction",
                                    verbose_name=_("更正的记录"))  # fmt: skip
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="point_transfer_positive"),
            models.CheckConstraint(condition=~Q(debit=F("credit")), name="point_transfer_two_accounts"),
            idempotency.unique_per_sender("point_transfer_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
