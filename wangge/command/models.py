"""应急行动: an operation started from an area search (a typhoon, a flood, a fire, a gas leak), the checklist
of every vulnerable person found, the shelters people are moved to, the notices sent and the summary kept
when it closes. The command module reads the register through its services; it keeps here only what the
operation itself decided (a person's state, where they went), never a copy of their personal data."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency
from wangge.core.models import TimeStamped


class Shelter(TimeStamped):
    """安置点: a standing place people are moved to (a school hall, a village committee), with how many it
    takes; a grid's or a community's, used by every operation that reaches it."""

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("所属网格"))
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("容纳人数"))
    contact = models.CharField(_("负责人及电话"), max_length=100, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("安置点")
        verbose_name_plural = _("安置点")
        ordering = ["grid__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="shelter_name_unique",
                                    violation_error_message=_("本网格已有同名安置点")),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="shelter_capacity_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class Operation(TimeStamped):
    """应急行动: who started it, over which area and grids, and how it ended."""

    class Kind(models.TextChoices):
        TYPHOON = "typhoon", _("台风")
        FLOOD = "flood", _("洪涝")
        FIRE = "fire", _("火灾")
        GAS_LEAK = "gas_leak", _("燃气泄漏")
        GEOLOGICAL = "geological", _("地质灾害")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    drill = models.BooleanField(_("演练"), default=False)
    status = models.CharField(_("状态"), max_length=8, choices=Status, default=Status.OPEN)
    area = models.JSONField(_("范围"))  # GeoJSON, WGS-84
    area_described = models.CharField(_("范围说明"), max_length=200)
    # the leaf grids the area touched that the starter could see: who else may see it follows from them
    grids = models.ManyToManyField("grids.Grid", related_name="+", verbose_name=_("涉及网格"))
    shelters = models.ManyToManyField(
        Shelter, related_name="operations", blank=True, verbose_name=_("安置点")
    )
    houses = models.JSONField(_("危险房屋"), default=list)  # [{id, address, hazards, grid_id}] at the start
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("发起人"))  # fmt: skip
    started_at = models.DateTimeField(_("开始时间"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("结束人"))  # fmt: skip
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closing_note = models.TextField(_("总结"), blank=True)
    summary = models.JSONField(_("结束时的统计"), default=dict, blank=True)  # kept as it was when closed

    class Meta:
        verbose_name = _("应急行动")
        verbose_name_plural = _("应急行动")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Check(models.Model):
    """One person of an operation's checklist and where they stand now (the latest update on the phone's
    clock, so an update kept offline and sent late does not overwrite a newer one)."""

    class State(models.TextChoices):
        NOT_CONTACTED = "not_contacted", _("未联系")
        CONTACTED = "contacted", _("已联系")
        MOVED = "moved", _("已转移")
        REFUSED = "refused", _("拒绝转移")
        UNREACHABLE = "unreachable", _("联系不上")

    operation = models.ForeignKey(
        Operation, models.CASCADE, related_name="checks", verbose_name=_("应急行动")
    )
    person = models.ForeignKey("registry.Person", models.PROTECT, related_name="+", verbose_name=_("人员"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    located = models.BooleanField(_("位置已标注"), default=True)
    state = models.CharField(_("状态"), max_length=16, choices=State, default=State.NOT_CONTACTED)
    shelter = models.ForeignKey(Shelter, models.PROTECT, null=True, blank=True, related_name="checks",
                                verbose_name=_("安置点"))  # fmt: skip
    note = models.CharField(_("说明"), max_length=200, blank=True)
    noted_at = models.DateTimeField(_("更新时间"), null=True, blank=True)
    noted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("更新人"))  # fmt: skip

    class Meta:
        verbose_name = _("排查对象")
        verbose_name_plural = _("排查对象")
        ordering = ["grid_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["operation", "person"], name="check_person_once")]

    def __str__(self) -> str:
        return f"{self.operation_id}:{self.person_id} {self.state}"


class CheckUpdate(models.Model):
    """Each update a worker sent (append-only): the checklist's history, and a retried phone submission
    found again by its client id."""

    check_line = models.ForeignKey(Check, models.CASCADE, related_name="updates", verbose_name=_("排查对象"))
    state = models.CharField(_("状态"), max_length=16, choices=Check.State)
    shelter = models.ForeignKey(Shelter, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("安置点"))  # fmt: skip
    note = models.CharField(_("说明"), max_length=200, blank=True)
    noted_at = models.DateTimeField(_("手机上的时间"))
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("更新人")
    )
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("排查记录")
        verbose_name_plural = _("排查记录")
        ordering = ["noted_at", "pk"]
        constraints = [idempotency.unique_per_sender("check_update_client_id_unique")]

    def __str__(self) -> str:
        return f"{self.check_line_id} {self.state} {self.noted_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """A notice sent to the households in an operation's area (by SMS through the outbox)."""

    operation = models.ForeignKey(
        Operation, models.CASCADE, related_name="notices", verbose_name=_("应急行动")
    )
    text = models.CharField(_("内容"), max_length=300)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                verbose_name=_("发送人"))  # fmt: skip
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    households = models.PositiveIntegerField(_("收到的户数"), default=0)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.text[:30]
