"""Disputes (矛盾纠纷) and their mediation, and each community's monthly report to the street centre."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency
from wangge.core.models import AppendOnlyModel, SceneNamed, TimeStamped


class DisputeType(SceneNamed):
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("纠纷类型")
        verbose_name_plural = _("纠纷类型")
        ordering = ["order", "pk"]


class Dispute(TimeStamped):
    class Risk(models.TextChoices):
        LOW = "low", _("一般")
        MEDIUM = "medium", _("较大")
        HIGH = "high", _("重大")

    class Status(models.TextChoices):
        OPEN = "open", _("待调解")
        MEDIATING = "mediating", _("调解中")
        AGREED = "agreed", _("调解成功")
        PARTLY = "partly", _("部分达成")
        FAILED = "failed", _("调解不成，已引导")

    class Level(models.TextChoices):
        UNIT = "unit", _("楼栋/单元长")
        COMMUNITY = "community", _("社区调解员")
        STREET = "street", _("街道（乡镇）中心")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    kind = models.ForeignKey(DisputeType, models.PROTECT, related_name="+", verbose_name=_("类型"))
    summary = models.CharField(_("纠纷概况"), max_length=255)
    place = models.CharField(_("地点"), max_length=255, blank=True)
    parties = models.JSONField(_("当事人"), default=list)
    found_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("发现人"))
    found_on = models.DateField(_("发现日期"))
    risk = models.CharField(_("风险等级"), max_length=8, choices=Risk, default=Risk.LOW)
    level = models.CharField(_("调解层级"), max_length=16, choices=Level, default=Level.UNIT)
    level_due = models.DateField(_("本层级调解期限"))
    mediator = models.CharField(_("调解员"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.OPEN)
    outcome = models.TextField(_("调解结果"), blank=True)
    referred_to = models.CharField(
        _("引导至"), max_length=64, blank=True, help_text=_("法院、仲裁、有关部门")
    )
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    agreement = models.TextField(_("协议内容"), blank=True, help_text=_("人民调解协议书的约定事项"))
    follow_up_due = models.DateField(_("回访期限"), null=True, blank=True)
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()
    # the case it came in as (a neighbour's report, a 12345 order): one record, its outcome closes the case
    case_code = models.CharField(_("来源事件"), max_length=32, null=True, blank=True)

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        ordering = ["-found_on", "-pk"]
        indexes = [models.Index(fields=["grid", "found_on"])]
        constraints = [
            idempotency.unique_per_sender("dispute_client_id_unique"),
            models.UniqueConstraint(fields=["case_code"], name="dispute_case_code_unique"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def closed(self) -> bool:
        return self.status in (self.Status.AGREED, self.Status.PARTLY, self.Status.FAILED)


class Session(AppendOnlyModel):
    """A mediation session (append-only: the record of what was said and agreed)."""

    dispute = models.ForeignKey(Dispute, models.CASCADE, related_name="sessions", verbose_name=_("纠纷"))
    held_on = models.DateField(_("调解日期"))
    mediator = models.CharField(_("调解员"), max_length=64)
    notes = models.TextField(_("调解记录"))
    recorded_by = models.ForeignKey(
        "accounts.User", models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_on}"


def signature_path(instance, filename: str) -> str:
    return f"signatures/{instance.dispute_id}/{filename}"


class Signature(AppendOnlyModel):
    """A party's signature on the agreement: a photo of the signed paper or a signature drawn on the phone."""

    class Kind(models.TextChoices):
        DRAWN = "drawn", _("手写签名")
        PHOTO = "photo", _("签字照片")

    dispute = models.ForeignKey(Dispute, models.CASCADE, related_name="signatures", verbose_name=_("纠纷"))
    party = models.CharField(_("签名人"), max_length=64)
    kind = models.CharField(_("方式"), max_length=8, choices=Kind)
    image = models.ImageField(_("签名"), upload_to=signature_path)
    signed = models.DateTimeField(_("签名时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        "accounts.User", models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("协议签名")
        verbose_name_plural = _("协议签名")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.party


class FollowUp(AppendOnlyModel):
    """The visit that checks an agreement is kept (回访)."""

    dispute = models.ForeignKey(Dispute, models.CASCADE, related_name="follow_ups", verbose_name=_("纠纷"))
    visited_on = models.DateField(_("回访日期"))
    kept = models.BooleanField(_("协议已履行"))
    note = models.TextField(_("回访情况"), blank=True)
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("回访人"))

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["visited_on", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.visited_on}"


class MonthlyReport(models.Model):
    """A community's monthly dispute report to the street centre (零报告 when there was none)."""

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    zero = models.BooleanField(_("零报告"), default=False)
    figures = models.JSONField(_("数字"), default=dict)
    filed = models.DateTimeField(_("报送时间"), auto_now_add=True)
    filed_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("报送人"))
    late = models.BooleanField(_("逾期报送"), default=False)

    class Meta:
        verbose_name = _("矛盾纠纷月报")
        verbose_name_plural = _("矛盾纠纷月报")
        ordering = ["-month", "grid"]
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="monthly_report_once")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.month:%Y-%m}"
