"""Cases (事件/工单): what was reported, where, by whom, who handles it now, and every step as history."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency, links, phrases
from wangge.core.fields import EncryptedTextField
from wangge.core.models import AppendOnlyModel, TimeStamped


class WorkCalendarDay(models.Model):
    """A date that differs from the plain week: a holiday on a weekday, or a make-up workday (调休) on a
    weekend. Seeded from the `holidays` package, editable by an administrator."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=16, default="holidays")  # holidays | admin

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class CatalogueVersion(TimeStamped):
    """A version of the dispatch catalogue (派单目录): applies to cases reported from its date on."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    valid_from = models.DateField(_("生效日期"))
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("派单目录版本")
        verbose_name_plural = _("派单目录版本")
        ordering = ["-valid_from", "-number"]

    def __str__(self) -> str:
        return f"v{self.number}（{self.valid_from} 起）"


class Category(models.Model):
    """A category of the catalogue: a main class (大类, no parent) or a subclass (小类) with its handler,
    deadlines and extra questions."""

    class Kind(models.TextChoices):
        EVENT = "event", _("事件")
        COMPONENT = "component", _("部件")
        SERVICE = "service", _("服务")

    version = models.ForeignKey(
        CatalogueVersion, models.CASCADE, related_name="categories", verbose_name=_("目录版本")
    )
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("大类")
    )
    key = models.SlugField(_("标识"), max_length=48)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=96, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind, default=Kind.EVENT)
    # who handles it: a grid level of the scene (its key), or a department; neither: the territorial grid
    handler_level = models.CharField(_("处置层级"), max_length=32, blank=True)
    handler_department = models.ForeignKey(
        "accounts.Department",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处置部门"),
    )
    on_spot = models.BooleanField(_("可就地解决"), default=False)
    visit_required = models.BooleanField(_("必到现场"), default=False)
    # a dispute category: its cases go to the mediation register as disputes of this kind (DisputeType key)
    dispute_kind = models.CharField(_("纠纷类型"), max_length=32, blank=True)
    # stage -> limit, e.g. {"accept": "2h", "dispatch": "2h", "handle": "3d", "verify": "1d"}
    deadlines = models.JSONField(_("办理时限"), default=dict, blank=True)
    attributes = models.JSONField(_("补充问题"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="category_key_per_version")]

    def __str__(self) -> str:
        return f"{self.parent.label}/{self.label}" if self.parent_id and self.parent else self.label

    @property
    def label(self) -> str:
        """The name in the page's language (the scene gives both)."""

        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name


def _token() -> str:
    return secrets.token_urlsafe(12)


# the states of a case not yet answered, in the order every query lists them (services.states.OPEN)
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handled", "suspended")


TALLY_DATES = ("created", "due_at", "closed_at", "dispatched_at")  # the dates figures are counted by


class Case(TimeStamped):
    """One reported problem or work order, from intake to rating."""

    class Channel(models.TextChoices):
        RESIDENT = "resident", _("群众上报")
        WORKER = "worker", _("网格员随手拍")
        HOTLINE = "hotline", _("12345热线")
        MODULE = "module", _("业务模块")
        OPEN311 = "open311", _("Open311")
        STAFF = "staff", _("工作人员录入")

    class Status(models.TextChoices):
        REPORTED = "reported", _("待受理")
        ACCEPTED = "accepted", _("待派遣")
        DISPATCHED = "dispatched", _("办理中")
        HANDLED = "handled", _("待核查")
        SUSPENDED = "suspended", _("挂起")
        CLOSED = "closed", _("已结案")
        REJECTED = "rejected", _("不予受理")

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("已解决")
        ON_SPOT = "on_spot", _("就地解决")
        UNSOLVABLE = "unsolvable", _("不能解决")
        DUPLICATE = "duplicate", _("重复件")

    class Request(models.TextChoices):
        SUSPEND = "suspend", _("挂起")
        UNSOLVABLE = "unsolvable", _("不能解决")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    # unique through Meta.constraints: `unique=True` adds a second (LIKE) index on PostgreSQL for each,
    # which nothing here searches by and every insert kept up
    code = models.CharField(_("事件编号"), max_length=24)
    token = models.CharField(_("查询凭证"), max_length=24, default=_token)
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()
    channel = models.CharField(_("来源"), max_length=16, choices=Channel, default=Channel.RESIDENT)
    category = models.ForeignKey(Category, models.PROTECT, related_name="cases", verbose_name=_("类别"))
    catalogue_version = models.ForeignKey(
        CatalogueVersion, models.PROTECT, related_name="+", verbose_name=_("派单目录版本")
    )
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    attributes = models.JSONField(_("补充信息"), default=dict, blank=True)
    grid = models.ForeignKey(
        "grids.Grid",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("所在网格"),
    )
    handler_grid = models.ForeignKey(
        "grids.Grid", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("承办网格")
    )
    handler_department = models.ForeignKey(
        "accounts.Department",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("承办部门"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.REPORTED)
    suspended_from = models.CharField(_("挂起前状态"), max_length=16, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome, blank=True)
    answer = models.TextField(_("答复"), blank=True)
    stage_due_at = models.DateTimeField(_("本环节时限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    # when the sweep must look at this case next (yellow, red, escalation); null: nothing pending
    next_check_at = models.DateTimeField(_("下次检查"), null=True, blank=True)
    warning = models.BooleanField(_("临期"), default=False)
    overdue = models.BooleanField(_("超时"), default=False)
    # kept by the database from the status: a filter on it names no parameter, so SQLite can use the partial
    # index of open cases (`status IN (?, …)` with bound values it cannot, and scanned a million cases)
    still_open = models.GeneratedField(
        expression=models.ExpressionWrapper(Q(status__in=OPEN_STATUSES), output_field=models.BooleanField()),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("未办结"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    escalated_to = models.ForeignKey(
        "grids.Grid",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("升级至"),
    )
    supervised = models.BooleanField(_("督办"), default=False)
    extension_requested_until = models.DateTimeField(_("申请延期至"), null=True, blank=True)
    # a handler's request to suspend the case or close it as unsolvable, waiting for the centre (like 延期)
    pending_request = models.CharField(_("待审批申请"), max_length=16, choices=Request, blank=True)
    pending_reason = models.TextField(_("申请理由"), blank=True)
    # while suspended: the office minutes that were left of the stage and of the case's deadline, so that
    # resuming continues the clock instead of starting it again
    paused_stage_minutes = models.FloatField(_("挂起时本环节剩余（分钟）"), null=True, blank=True)
    paused_due_minutes = models.FloatField(_("挂起时办结剩余（分钟）"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=255, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,
        verbose_name=_("重复于"),
    )
    # a repeat taken to be handled together with its first case (一并办理): out of the queues and the sweep,
    # answered when the first closes
    follows_first = models.BooleanField(_("随首件一并办理"), default=False)
    # a repeated 12345 call (same caller, or same address and topic, in the window): grouped with the first
    repeat_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        db_index=False,
        verbose_name=_("重复来电于"),
    )
    reporter_name = models.CharField(_("反映人"), max_length=64, blank=True)
    reporter_phone = EncryptedTextField(_("反映人电话"), blank=True, default="")
    reporter_phone_index = models.CharField(_("电话索引"), max_length=64, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("上报账号"),
    )
    hotline_number = models.CharField(_("热线工单编号"), max_length=48, null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    returned_until = models.DateTimeField(_("可退回截止"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["handler_department", "status"]),
            models.Index(fields=["status", "created"]),
            # today's queues among a million closed cases: the open, the late and the supervised ones
            models.Index(fields=["status"], name="case_open", condition=Q(still_open=True)),
            models.Index(fields=["status"], name="case_overdue", condition=Q(overdue=True)),
            models.Index(fields=["status"], name="case_supervised", condition=Q(supervised=True)),
            # the month's figures: the cases received, due, and closed within a period (and the newest
            # first of the lists)
            models.Index(fields=["created"]),
            models.Index(fields=["due_at"]),
            models.Index(fields=["closed_at"]),
            models.Index(fields=["dispatched_at"]),
            # the sweep reads only the cases whose time has come (partial: open cases with a check due)
            models.Index(
                fields=["next_check_at"], name="case_next_check", condition=Q(next_check_at__isnull=False)
            ),
            # Mostly empty links: a partial index skips the rows without one, and still serves every
            # lookup by the link (an equality implies it is set). The grid and the department are led by
            # the two indexes above.
            *[
                models.Index(fields=[f], name=f"case_{f}", condition=Q(**{f"{f}__isnull": False}))
                for f in ("escalated_to", "duplicate_of", "repeat_of", "reporter")
            ],
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="case_code_unique"),
            models.UniqueConstraint(fields=["token"], name="case_token_unique"),
            idempotency.unique_per_sender("case_client_id_unique"),
            models.UniqueConstraint(
                fields=["hotline_number"],
                name="case_hotline_number_unique",
                condition=Q(hotline_number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.category}"

    @classmethod
    def from_db(cls, db, field_names, values):
        # the days a loaded case counted on, so that saving it marks them for the daily tallies too (a
        # deadline extended from Monday to Friday changes Monday's figures): Django's documented hook
        instance = super().from_db(db, field_names, values)
        instance._loaded_days = tuple(  # type: ignore[attr-defined]
            getattr(instance, f) for f in TALLY_DATES if f in instance.__dict__
        )
        return instance

    def get_absolute_url(self) -> str:
        return links.link("cases:detail", self.code)

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.REJECTED)


class CaseEvent(AppendOnlyModel):
    """One step of a case (who, when, what, why, photos)."""

    class Action(models.TextChoices):
        REPORT = "report", _("上报")
        PLACE = "place", _("人工定位")
        ACCEPT = "accept", _("受理立案")
        REJECT = "reject", _("不予受理")
        DISPATCH = "dispatch", _("派遣")
        RETURN = "return", _("退回")
        NOTE = "note", _("处置记录")
        SITE_VISIT = "site_visit", _("到场走访")
        HANDLE = "handle", _("处置反馈")
        VERIFY_PASS = "verify_pass", _("核查通过")
        VERIFY_FAIL = "verify_fail", _("核查不通过")
        CLOSE = "close", _("结案")
        ON_SPOT = "on_spot", _("就地解决")
        RATE = "rate", _("评价")
        RETURN_CALL = "return_call", _("电话回访")
        HANDLE_TOGETHER = "handle_together", _("一并办理")
        REOPEN = "reopen", _("重新办理")
        EXTEND_REQUEST = "extend_request", _("申请延期")
        EXTEND_APPROVE = "extend_approve", _("同意延期")
        EXTEND_REFUSE = "extend_refuse", _("不同意延期")
        SUSPEND = "suspend", _("挂起")
        SUSPEND_REQUEST = "suspend_request", _("申请挂起")
        UNSOLVABLE_REQUEST = "unsolvable_request", _("申请不能解决")
        REQUEST_REFUSE = "request_refuse", _("不同意申请")
        RESUME = "resume", _("恢复办理")
        SUPERVISE = "supervise", _("督办")
        UNSOLVABLE = "unsolvable", _("不能解决")
        DUPLICATE = "duplicate", _("标记重复")
        DISPUTE = "dispute", _("转入矛盾纠纷调解")
        DISPUTE_OUTCOME = "dispute_outcome", _("调解办结")
        WARN = "warn", _("临期提醒")
        OVERDUE = "overdue", _("超时升级")

    case = models.ForeignKey(Case, models.CASCADE, related_name="events", verbose_name=_("事件"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=24, choices=Action)
    comment = models.TextField(_("意见"), blank=True)
    # a comment the system wrote (core.phrases): its message id and arguments, shown in the reader's language
    comment_msgid = models.CharField(max_length=255, blank=True, default="")
    comment_args = models.JSONField(default=dict, blank=True)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    to_grid = models.ForeignKey(
        "grids.Grid",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("至网格"),
    )
    to_department = models.ForeignKey(
        "accounts.Department",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("至部门"),
    )
    # a late case (overdue at this step), for the figures
    late = models.BooleanField(_("超时"), default=False)

    SYSTEM = gettext_noop("系统")  # the actor of the system's own steps (the deadline sweep)

    @property
    def shown_comment(self) -> str:
        return phrases.shown(self.comment, self.comment_msgid, self.comment_args)

    @property
    def shown_actor(self) -> str:
        return (
            gettext(self.SYSTEM)
            if self.actor_id is None and self.actor_name == self.SYSTEM
            else self.actor_name
        )

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["to_department", "case"]),  # also leads lookups by the department alone
            models.Index(fields=["action", "at"]),
            # set on some steps only: partial indexes skip the rest
            *[
                models.Index(fields=[f], name=f"caseevent_{f}", condition=Q(**{f"{f}__isnull": False}))
                for f in ("actor", "to_grid")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_action_display()}"


def photo_path(instance: CasePhoto, filename: str) -> str:
    return f"cases/{instance.case_id}/{secrets.token_hex(8)}.jpg"


class CasePhoto(TimeStamped):
    """A photo of a case, attached at one of its steps (before, during, after)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="photos", verbose_name=_("事件"))
    event = models.ForeignKey(
        CaseEvent, models.CASCADE, null=True, blank=True, related_name="photos", verbose_name=_("办理记录")
    )
    image = models.ImageField(_("照片"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["pk"]


class CaseFollower(TimeStamped):
    """A passer-by who saw the problem was already reported and asked to be told of its progress instead of
    reporting it again (关注): by SMS, without a link, so that following reveals nothing of the case."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="followers", verbose_name=_("事件"))
    phone = EncryptedTextField(_("手机号"))
    phone_index = models.CharField(_("电话索引"), max_length=64)

    class Meta:
        verbose_name = _("关注人")
        verbose_name_plural = _("关注人")
        constraints = [models.UniqueConstraint(fields=["case", "phone_index"], name="case_follower_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}"


class CaseTally(models.Model):
    """One figure's count for a day, a grid's whole subtree and a category (日汇总): the same definitions as
    `cases/figures.py`, summed over a period by the screens instead of counting a million cases. Kept by
    `cases/tallies.py` from the days cases touched; rebuilt whole by `wangge manage rebuild_case_tallies`."""

    day = models.DateField(_("日期"))
    grid = models.ForeignKey("grids.Grid", models.CASCADE, related_name="+", db_index=False,
                             verbose_name=_("网格"))  # fmt: skip
    # only for what is reckoned by category (tallies.BY_CATEGORY); the other figures are per grid
    category = models.ForeignKey(Category, models.CASCADE, null=True, blank=True, related_name="+",
                                 db_index=False, verbose_name=_("类别"))  # fmt: skip
    key = models.CharField(_("指标"), max_length=16)
    num = models.PositiveIntegerField(_("分子"), default=0)
    den = models.PositiveIntegerField(_("分母"), default=0)

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        indexes = [models.Index(fields=["day", "key"])]
        constraints = [
            # the grid first: a screen reads one grid's rows over a month
            models.UniqueConstraint(fields=["grid", "day", "key", "category"], name="case_tally_grid_day"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.day} {self.grid_id} {self.category_id} {self.key} {self.num}/{self.den}"


class TallyDay(models.Model):
    """A day whose tallies a change made stale (marked when a case is saved; the refresh clears it)."""

    day = models.DateField(_("日期"), primary_key=True)

    class Meta:
        verbose_name = _("待汇总日期")
        verbose_name_plural = _("待汇总日期")

    def __str__(self) -> str:
        return str(self.day)
