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


class AnalysisReport(models.Model):
    """日报告 / 周研判 / 月分析 of a unit, generated from the data (never typed) and kept as issued: the
    figures, tables and risk notices of the period as they stood when it was generated. Generating again
    on demand adds a new version; the one issued stays."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("日报告")
        WEEKLY = "weekly", _("周研判")
        MONTHLY = "monthly", _("月分析")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    title = models.CharField(_("标题"), max_length=120)
    content = models.JSONField(_("内容"))
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )  # fmt: skip  (none: on schedule)

    class Meta:
        verbose_name = _("分析报告")
        verbose_name_plural = _("分析报告")
        ordering = ["-start", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "grid", "start", "version"], name="analysis_report_version"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """周研判会: the weekly report is its agenda; who attended and what was decided."""

    report = models.ForeignKey(
        AnalysisReport, models.PROTECT, related_name="meetings", verbose_name=_("研判报告")
    )
    held_on = models.DateField(_("会议日期"))
    attendees = models.CharField(_("参会人员"), max_length=500)
    minutes = models.TextField(_("会议纪要"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("记录人"))  # fmt: skip
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("研判会议")
        verbose_name_plural = _("研判会议")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.report} {self.held_on}"


class Decision(models.Model):
    """A decision of the meeting, followed to its end: a case (handled through the event loop) or a task
    with an owner and a date."""

    class Kind(models.TextChoices):
        CASE = "case", _("转为事件")
        TASK = "task", _("交办任务")

    class State(models.TextChoices):
        OPEN = "open", _("落实中")
        DONE = "done", _("已落实")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="decisions", verbose_name=_("会议"))
    text = models.CharField(_("决定事项"), max_length=500)
    kind = models.CharField(_("落实方式"), max_length=8, choices=Kind)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("责任人"))  # fmt: skip
    due_on = models.DateField(_("完成时限"), null=True, blank=True)
    case_code = models.CharField(_("事件编号"), max_length=24, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=State, default=State.OPEN)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    done_note = models.CharField(_("落实情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("研判决定")
        verbose_name_plural = _("研判决定")
        ordering = ["state", "due_on", "pk"]

    def __str__(self) -> str:
        return self.text[:40]
