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
from wangge.core.models import TimeStamped


class PointAccount(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        HOUSEHOLD = "household", _("家庭户")  # village governance points are per household
        ISSUER = "issuer", _("积分发放")  # a community's: where granted points come from
        SHOP = "shop", _("积分超市")  # where redeemed points go
        EXPIRED = "expired", _("过期积分")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    person = models.OneToOneField(
        "registry.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("居民")
    )
    household = models.OneToOneField(
        "registry.Household",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("家庭户"),
    )
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
                fields=["grid", "kind"],
                condition=Q(kind__in=["issuer", "shop", "expired"]),
                name="point_account_one_per_grid",
            ),
        ]

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
    # indexed with the time (Meta.indexes): a statement reads one account's month
    debit = models.ForeignKey(
        PointAccount, models.PROTECT, related_name="debits", db_index=False, verbose_name=_("转出账户")
    )
    credit = models.ForeignKey(
        PointAccount, models.PROTECT, related_name="credits", db_index=False, verbose_name=_("转入账户")
    )
    amount = models.PositiveIntegerField(_("积分"))
    reason = models.CharField(_("事由"), max_length=200)
    # the earning rule (scene `points`) and what caused it ("case:20261205-0001"): a cause earns once
    rule = models.CharField(_("积分规则"), max_length=32, blank=True, default="")
    source = models.CharField(_("来源"), max_length=64, blank=True, default="")
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    corrects = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="correction", verbose_name=_("更正的记录")
    )
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
            models.UniqueConstraint(
                fields=["credit", "rule", "source"],
                condition=Q(kind="grant") & ~Q(source=""),
                name="point_earned_once_per_cause",
                violation_error_message=_("这件事已经发过积分"),
            ),
        ]
        indexes = [
            models.Index(fields=["credit", "at"], name="point_transfer_credit_at"),
            models.Index(fields=["debit", "at"], name="point_transfer_debit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class ClosedMonth(models.Model):
    """月结: a month whose statements are kept. Entries are dated when they are written (a correction is a
    new entry dated now), so once a month has ended nothing moves in it again and its lines never change."""

    month = models.DateField(_("月份"), unique=True)  # the month's first day
    closed_at = models.DateTimeField(_("结账时间"), auto_now_add=True)
    holders = models.PositiveIntegerField(_("持有人数"), default=0)

    class Meta:
        verbose_name = _("积分月结")
        verbose_name_plural = _("积分月结")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class MonthLine(models.Model):
    """One holder's line of a closed month (对账单): what it held at the start and the end, and why."""

    closed = models.ForeignKey(ClosedMonth, models.CASCADE, related_name="lines", verbose_name=_("月结"))
    account = models.ForeignKey(
        PointAccount, models.PROTECT, related_name="month_lines", verbose_name=_("积分账户")
    )
    opening = models.IntegerField(_("月初余额"))
    earned = models.IntegerField(_("获得"))
    spent = models.IntegerField(_("兑换"))
    other = models.IntegerField(_("更正与过期（净）"))
    closing = models.IntegerField(_("月末余额"))

    class Meta:
        verbose_name = _("月结对账行")
        verbose_name_plural = _("月结对账行")
        constraints = [
            models.UniqueConstraint(fields=["closed", "account"], name="month_line_once_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.closed} {self.account_id}"


class Shop(TimeStamped):
    """爱心积分超市: one per community, where residents spend points on donated goods."""

    grid = models.OneToOneField("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=64)
    address = models.CharField(_("地点"), max_length=128, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("积分超市")
        verbose_name_plural = _("积分超市")
        ordering = ["grid__path"]

    def __str__(self) -> str:
        return self.name


class Donor(TimeStamped):
    """Who gave goods to a shop: a unit, an enterprise, a resident (捐赠方)."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("单位")
        ENTERPRISE = "enterprise", _("企业")
        PERSON = "person", _("个人")
        OTHER = "other", _("其他")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind, default=Kind.UNIT)

    class Meta:
        verbose_name = _("捐赠方")
        verbose_name_plural = _("捐赠方")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "name"],
                name="donor_name_unique",
                violation_error_message=_("本社区已有同名捐赠方"),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="donor_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class Goods(TimeStamped):
    """A kind of goods on a shop's shelf; its stock always equals the sum of its stock moves."""

    shop = models.ForeignKey(Shop, models.PROTECT, related_name="goods", verbose_name=_("积分超市"))
    name = models.CharField(_("名称"), max_length=64)
    price = models.PositiveIntegerField(_("所需积分"))
    unit = models.CharField(_("单位"), max_length=8, default="件")
    stock = models.IntegerField(_("库存"), default=0)
    on_shelf = models.BooleanField(_("上架"), default=True)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["shop", "price", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "name"],
                name="goods_name_unique",
                violation_error_message=_("本超市已有同名商品"),
            ),
            models.CheckConstraint(
                condition=Q(stock__gte=0),
                name="goods_stock_not_negative",
                violation_error_message=_("库存不能为负"),
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="goods_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """One exchange at the counter: the receipt (兑换小票). Its points are `transfer`; its goods left the
    shelf in a stock move."""

    number = models.CharField(_("小票号"), max_length=32, unique=True)
    shop = models.ForeignKey(Shop, models.PROTECT, related_name="redemptions", verbose_name=_("积分超市"))
    goods = models.ForeignKey(Goods, models.PROTECT, related_name="redemptions", verbose_name=_("商品"))
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    account = models.ForeignKey(
        PointAccount, models.PROTECT, related_name="redemptions", verbose_name=_("积分账户")
    )
    transfer = models.OneToOneField(
        PointTransfer, models.PROTECT, related_name="redemption", verbose_name=_("积分记录")
    )
    note = models.CharField(_("备注"), max_length=120, blank=True)  # 代领人 and the like
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_quantity_positive"),
            idempotency.unique_per_sender("redemption_client_id_unique"),
        ]
        indexes = [models.Index(fields=["shop", "at"], name="redemption_shop_at")]

    def __str__(self) -> str:
        return self.number


class StockMove(models.Model):
    """出入库 (append-only): goods in (donated, bought), out (redeemed, written off), back (a redemption
    undone). `quantity` is signed: in is positive."""

    class Kind(models.TextChoices):
        DONATED = "donated", _("捐赠入库")
        BOUGHT = "bought", _("采购入库")
        REDEEMED = "redeemed", _("兑换出库")
        RETURNED = "returned", _("退回入库")
        WRITTEN_OFF = "written_off", _("报损出库")

    goods = models.ForeignKey(Goods, models.PROTECT, related_name="moves", verbose_name=_("商品"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    quantity = models.IntegerField(_("数量"))
    donor = models.ForeignKey(
        Donor, models.PROTECT, null=True, blank=True, related_name="moves", verbose_name=_("捐赠方")
    )
    redemption = models.ForeignKey(
        Redemption, models.PROTECT, null=True, blank=True, related_name="moves", verbose_name=_("兑换记录")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("经办人")
    )

    class Meta:
        verbose_name = _("出入库记录")
        verbose_name_plural = _("出入库记录")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="donated") | Q(donor__isnull=False),
                name="stock_donation_has_donor",
                violation_error_message=_("捐赠入库请填写捐赠方"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity}"


class Team(TimeStamped):
    """志愿服务队: a community's team of volunteers (Ningdu: 121 teams)."""

    class Kind(models.TextChoices):
        PARTY = "party", _("党员先锋")
        YOUTH = "youth", _("青年志愿")
        WOMEN = "women", _("巾帼志愿")
        NEIGHBOURS = "neighbours", _("邻里守望")
        SKILLS = "skills", _("专业服务")
        OTHER = "other", _("其他")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("队名"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind, default=Kind.NEIGHBOURS)
    leader = models.CharField(_("队长"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["grid__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "name"],
                name="team_name_unique",
                violation_error_message=_("本社区已有同名服务队"),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="team_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(TimeStamped):
    """A volunteer of a team: a resident of the register (party members and unit staff who live here are
    residents too; their unit is noted)."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="members", verbose_name=_("服务队"))
    person = models.ForeignKey("registry.Person", models.PROTECT, related_name="+", verbose_name=_("居民"))
    party_member = models.BooleanField(_("党员"), default=False)
    unit = models.CharField(_("工作单位"), max_length=64, blank=True)
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                name="team_member_unique",
                violation_error_message=_("该居民已是本队队员"),
            ),
        ]


class Activity(TimeStamped):
    """志愿活动: a time, a place on the map, a capacity and what is needed; volunteers sign up from the
    phone and check in at the place by scanning its QR code."""

    class Status(models.TextChoices):
        OPEN = "open", _("报名中")
        DONE = "done", _("已结束")
        CANCELLED = "cancelled", _("已取消")

    team = models.ForeignKey(Team, models.PROTECT, related_name="activities", verbose_name=_("服务队"))
    title = models.CharField(_("活动名称"), max_length=100)
    needs = models.TextField(_("活动内容与需要"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=128)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("人数上限"))
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.OPEN)
    check_in_code = models.CharField(_("签到码"), max_length=32)  # in the QR code shown at the place
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("组织者")
    )

    class Meta:
        verbose_name = _("志愿活动")
        verbose_name_plural = _("志愿活动")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="activity_ends_after_start",
                violation_error_message=_("结束时间应晚于开始时间"),
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="activity_capacity_positive"),
        ]
        indexes = [models.Index(fields=["starts_at"], name="activity_starts")]

    def __str__(self) -> str:
        return self.title


class SignUp(TimeStamped):
    """One volunteer's place in an activity: signed up, checked in at the place, hours confirmed by the
    organiser (which grants the points of the scene's `volunteer_hour` rule)."""

    activity = models.ForeignKey(
        Activity, models.CASCADE, related_name="sign_ups", verbose_name=_("志愿活动")
    )
    person = models.ForeignKey("registry.Person", models.PROTECT, related_name="+", verbose_name=_("志愿者"))
    cancelled = models.BooleanField(_("已取消"), default=False)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    points = models.OneToOneField(
        PointTransfer, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("积分记录")
    )

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"], name="sign_up_once", violation_error_message=_("已经报过名了")
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0, hours__lte=24), name="sign_up_hours_in_a_day"
            ),
        ]


class Partner(TimeStamped):
    """共驻共建单位: an organ, institution or enterprise paired with the communities it serves (Ningdu: 106
    units with 21 communities); its contacts sign in to claim 关键小事 on its behalf."""

    class Kind(models.TextChoices):
        ORGAN = "organ", _("机关")
        INSTITUTION = "institution", _("事业单位")
        ENTERPRISE = "enterprise", _("企业")
        SOCIAL = "social", _("社会组织")

    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind, default=Kind.ENTERPRISE)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partners", verbose_name=_("联络人账号")
    )

    class Meta:
        verbose_name = _("共驻共建单位")
        verbose_name_plural = _("共驻共建单位")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="partner_name_not_blank")]

    def __str__(self) -> str:
        return self.name


class PartnerLink(TimeStamped):
    """A unit registered with a community it serves (双报到 of the unit)."""

    partner = models.ForeignKey(Partner, models.CASCADE, related_name="links", verbose_name=_("单位"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))

    class Meta:
        verbose_name = _("单位报到")
        verbose_name_plural = _("单位报到")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "grid"],
                name="partner_link_unique",
                violation_error_message=_("该单位已在本社区报到"),
            ),
        ]


class PartyMember(TimeStamped):
    """在职党员 registered at their home community (双报到 of the member), with the unit they work for."""

    person = models.OneToOneField("registry.Person", models.PROTECT, related_name="+", verbose_name=_("党员"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("报到社区"))
    partner = models.ForeignKey(
        Partner, models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("工作单位")
    )
    registered_on = models.DateField(_("报到日期"))

    class Meta:
        verbose_name = _("在职党员")
        verbose_name_plural = _("在职党员")


class PairedLeader(TimeStamped):
    """挂点领导: a county leader paired with a community (Ningdu: 46 leaders with 21 communities)."""

    name = models.CharField(_("姓名"), max_length=32)
    title = models.CharField(_("职务"), max_length=64)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("挂点社区"))

    class Meta:
        verbose_name = _("挂点领导")
        verbose_name_plural = _("挂点领导")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "grid"],
                name="paired_leader_unique",
                violation_error_message=_("该领导已挂点本社区"),
            ),
        ]


class Task(TimeStamped):
    """关键小事 on the task board (百企公益): published by a community, claimed by a unit or an in-service
    party member, done with photos; the public sees what was claimed and done."""

    class Kind(models.TextChoices):
        DELIBERATION = "deliberation", _("网格家事共议")
        CHARITY = "charity", _("慈善公益聚力")
        HOMES = "homes", _("美丽家园同建")
        ENVIRONMENT = "environment", _("人居环境美颜")
        CARE = "care", _("重点人群暖心")

    class Status(models.TextChoices):
        OPEN = "open", _("待认领")
        CLAIMED = "claimed", _("已认领")
        DONE = "done", _("已完成")
        WITHDRAWN = "withdrawn", _("已撤回")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind)
    title = models.CharField(_("事项"), max_length=100)
    needs = models.TextField(_("需要什么"), blank=True)
    due_on = models.DateField(_("期望完成日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.OPEN)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    partner = models.ForeignKey(
        Partner, models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("认领单位")
    )
    member = models.ForeignKey(
        PartyMember, models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("认领党员")
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("认领人"),
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    done_note = models.TextField(_("完成情况"), blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("关键小事")
        verbose_name_plural = _("关键小事")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | Q(member__isnull=True), name="task_one_claimer"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["claimed", "done"])
                | Q(partner__isnull=False)
                | Q(member__isnull=False),
                name="task_claimed_has_claimer",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def claimer(self) -> str:
        if self.partner is not None:
            return self.partner.name
        return str(_("在职党员")) if self.member_id else ""


def task_photo_path(instance, filename: str) -> str:
    return f"tasks/{instance.task_id}-{filename}"


class TaskPhoto(models.Model):
    task = models.ForeignKey(Task, models.CASCADE, related_name="photos", verbose_name=_("关键小事"))
    image = models.ImageField(_("照片"), upload_to=task_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("完成照片")
        verbose_name_plural = _("完成照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


def key_consent_path(instance, filename: str) -> str:
    return f"keys/{instance.person_id}-{filename}"


class SpareKey(TimeStamped):
    """备用钥匙: a key a resident leaves with the community (an elderly resident living alone), with their
    written consent and where it is kept; every hand-out and return is logged, every look at the register
    audited; the resident can take it back, which closes the record."""

    class Status(models.TextChoices):
        HELD = "held", _("保管中")
        OUT = "out", _("借出中")
        RETURNED = "returned", _("已退还本人")

    person = models.ForeignKey("registry.Person", models.PROTECT, related_name="+", verbose_name=_("居民"))
    purpose = models.CharField(_("用途"), max_length=120)
    cabinet = models.CharField(_("钥匙柜"), max_length=32)
    slot = models.CharField(_("格位"), max_length=16)
    consent = models.ImageField(_("本人同意签名"), upload_to=key_consent_path)
    consent_at = models.DateTimeField(_("签名时间"))
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.HELD)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("接收人")
    )
    returned_at = models.DateTimeField(_("退还本人时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("备用钥匙")
        verbose_name_plural = _("备用钥匙")
        ordering = ["cabinet", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=~Q(status="returned"),
                name="one_key_per_person",
                violation_error_message=_("该居民已有一把在保管中的备用钥匙"),
            ),
            models.UniqueConstraint(
                fields=["cabinet", "slot"],
                condition=~Q(status="returned"),
                name="one_key_per_slot",
                violation_error_message=_("该格位已有钥匙"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cabinet}-{self.slot}"


class KeyHandout(models.Model):
    """One hand-out of a spare key: who took it, why, when it is due back and when it came back."""

    key = models.ForeignKey(SpareKey, models.PROTECT, related_name="handouts", verbose_name=_("备用钥匙"))
    taken_by = models.CharField(_("领取人"), max_length=64)
    reason = models.CharField(_("事由"), max_length=200)
    out_at = models.DateTimeField(_("借出时间"), auto_now_add=True)
    due_at = models.DateTimeField(_("应归还时间"))
    back_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    class Meta:
        verbose_name = _("钥匙借出记录")
        verbose_name_plural = _("钥匙借出记录")
        ordering = ["-out_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(back_at__isnull=True), name="one_handout_at_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.taken_by}"


class ResidentNotice(TimeStamped):
    """通知公告 to residents of one or more grids (a typhoon warning, a water cut, a policy): shown on their
    home page, optionally by SMS through the outbox; urgent ones are pinned. The command's emergency
    notices are published through it."""

    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    urgent = models.BooleanField(_("紧急（置顶）"), default=False)
    sms = models.BooleanField(_("同时发短信"), default=False)
    grids = models.ManyToManyField("grids.Grid", related_name="+", verbose_name=_("发布范围"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    households = models.PositiveIntegerField(_("短信户数"), default=0)
    withdrawn = models.BooleanField(_("已撤回"), default=False)

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        ordering = ["-urgent", "-created"]

    def __str__(self) -> str:
        return self.title


class NoticeRead(models.Model):
    """A resident opened the notice (counted where the channel allows: the page, not an SMS)."""

    notice = models.ForeignKey(ResidentNotice, models.CASCADE, related_name="reads", verbose_name=_("通知"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    at = models.DateTimeField(_("阅读时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("阅读记录")
        verbose_name_plural = _("阅读记录")
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once")]

    def __str__(self) -> str:
        return f"{self.notice} {self.user}"


class Survey(TimeStamped):
    """知晓率调查: a survey of awareness (questions with one aware answer each), run in rounds over a sample
    of households per grid; the rate per grid and question with its sample size and confidence interval."""

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("调查范围"))
    title = models.CharField(_("调查名称"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("创建人")
    )

    class Meta:
        verbose_name = _("知晓率调查")
        verbose_name_plural = _("知晓率调查")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, models.CASCADE, related_name="questions", verbose_name=_("调查"))
    number = models.PositiveSmallIntegerField(_("题号"))
    text = models.CharField(_("题目"), max_length=200)
    choices = models.JSONField(_("选项"))
    aware = models.PositiveSmallIntegerField(_("知晓的选项"))  # index into choices

    class Meta:
        verbose_name = _("调查题目")
        verbose_name_plural = _("调查题目")
        ordering = ["survey", "number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="survey_question_number")]

    def __str__(self) -> str:
        return self.text


class SurveyRound(TimeStamped):
    """One round: a reproducible random sample of households per unit grid (the seed is kept)."""

    survey = models.ForeignKey(Survey, models.PROTECT, related_name="rounds", verbose_name=_("调查"))
    number = models.PositiveSmallIntegerField(_("轮次"))
    per_grid = models.PositiveIntegerField(_("每个网格抽样户数"))
    seed = models.CharField(_("随机种子"), max_length=32)
    closed = models.BooleanField(_("已结束"), default=False)

    class Meta:
        verbose_name = _("调查轮次")
        verbose_name_plural = _("调查轮次")
        ordering = ["survey", "number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="survey_round_number")]

    def __str__(self) -> str:
        return f"{self.survey} 第{self.number}轮"


class SampledHousehold(models.Model):
    """A household drawn for a round; answered once, in person from the worker's phone or by the resident
    through the link its token makes."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("入户")
        LINK = "link", _("居民自填")

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="sample", verbose_name=_("轮次"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    household = models.ForeignKey(
        "registry.Household", models.PROTECT, related_name="+", verbose_name=_("户")
    )
    token = models.CharField(_("链接令牌"), max_length=32, unique=True)
    answered_at = models.DateTimeField(_("作答时间"), null=True, blank=True)
    mode = models.CharField(_("方式"), max_length=16, choices=Mode, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
    )

    class Meta:
        verbose_name = _("抽样户")
        verbose_name_plural = _("抽样户")
        constraints = [models.UniqueConstraint(fields=["round", "household"], name="sampled_once_per_round")]

    def __str__(self) -> str:
        return f"{self.round} {self.household_id}"


class SurveyAnswer(models.Model):
    sampled = models.ForeignKey(
        SampledHousehold, models.CASCADE, related_name="answers", verbose_name=_("抽样户")
    )
    question = models.ForeignKey(
        SurveyQuestion, models.CASCADE, related_name="answers", verbose_name=_("题目")
    )
    choice = models.PositiveSmallIntegerField(_("所选"))

    class Meta:
        verbose_name = _("回答")
        verbose_name_plural = _("回答")
        constraints = [models.UniqueConstraint(fields=["sampled", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice}"


class CouncilTopic(TimeStamped):
    """百姓议事会 议题: a matter residents settle themselves (民事民议、民事民办、民事民管), raised
    by a resident from the phone or by the grid; deliberated in a council meeting, decided by a vote or a
    consensus, published on the grid's notice board and followed to its end (a case, a 关键小事, or
    done)."""

    class Status(models.TextChoices):
        RAISED = "raised", _("待议")
        DECIDED = "decided", _("已决议")
        FOLLOWING = "following", _("落实中")
        DONE = "done", _("已办结")
        DISMISSED = "dismissed", _("不予议事")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    title = models.CharField(_("议题"), max_length=100)
    description = models.TextField(_("情况说明"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("提出人")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.RAISED)
    decision = models.TextField(_("决议"), blank=True)
    case_code = models.CharField(_("转办事件编号"), max_length=32, blank=True)
    task = models.ForeignKey(
        Task, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("转为关键小事")
    )
    notice = models.ForeignKey(
        ResidentNotice, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("公示")
    )
    done_note = models.TextField(_("办结情况"), blank=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("议事议题")
        verbose_name_plural = _("议事议题")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title


class CouncilMeeting(TimeStamped):
    """One council meeting on a topic: who attended, the views, the vote or consensus and the decision."""

    class Way(models.TextChoices):
        VOTE = "vote", _("表决")
        CONSENSUS = "consensus", _("协商一致")

    topic = models.ForeignKey(CouncilTopic, models.PROTECT, related_name="meetings", verbose_name=_("议题"))
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=100)
    attendees = models.JSONField(_("参会人"))  # names, as the record lists them
    views = models.TextField(_("各方意见"))
    way = models.CharField(_("决议方式"), max_length=16, choices=Way)
    votes_for = models.PositiveIntegerField(_("赞成"), default=0)
    votes_against = models.PositiveIntegerField(_("反对"), default=0)
    abstained = models.PositiveIntegerField(_("弃权"), default=0)
    decision = models.TextField(_("决议"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.topic} {self.held_on}"
