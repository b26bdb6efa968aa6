"""Field work (走访): visit rules from the scene, what each household is due, the visits themselves.

A visit is entered once; the duties it satisfies, the hazards and cases it raises and the coverage
figures are all derived from it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency
from wangge.core.models import AppendOnlyModel, SceneNamed, TimeStamped


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("入户走访")
    PHONE = "phone", _("电话联系")
    WECHAT = "wechat", _("微信联系")


class VisitRule(SceneNamed, TimeStamped):
    """Which households are visited how often (三必访, 日必联、周必访、月必谈), as scene data."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("走访（须入户）")
        CONTACT = "contact", _("联系（电话、微信亦可）")

    class Unit(models.TextChoices):
        DAY = "day", _("天")
        WEEK = "week", _("周")
        MONTH = "month", _("月")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年")

    kind = models.CharField(_("方式"), max_length=16, choices=Kind, default=Kind.VISIT)
    every = models.PositiveSmallIntegerField(_("每"), default=1)
    unit = models.CharField(_("周期单位"), max_length=8, choices=Unit, default=Unit.YEAR)
    # Which households: those with an active member in one of these groups, of these residence types,
    # whose house has an open hazard; all households when nothing is named. Conditions combine with AND.
    groups = models.JSONField(_("特殊人群"), default=list, blank=True)
    residences = models.JSONField(_("户别"), default=list, blank=True)
    hazards = models.BooleanField(_("有未整改隐患"), default=False)
    first_within_days = models.PositiveSmallIntegerField(_("首次走访期限（天）"), default=7)
    checklist = models.JSONField(_("走访事项"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("走访规则")
        verbose_name_plural = _("走访规则")
        ordering = ["order", "pk"]

    @property
    def period_label(self) -> str:
        unit = self.get_unit_display()
        return f"每{unit}" if self.every == 1 else f"每{self.every}{unit}"


class Campaign(TimeStamped):
    """A named campaign (周一夜访, a typhoon check) over a set of households and a date range."""

    name = models.CharField(_("名称"), max_length=64)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("范围"))
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    groups = models.JSONField(_("特殊人群"), default=list, blank=True)
    residences = models.JSONField(_("户别"), default=list, blank=True)
    hazards = models.BooleanField(_("有未整改隐患"), default=False)
    checklist = models.JSONField(_("走访事项"), default=list, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, related_name="+", verbose_name=_("发起人")
    )

    class Meta:
        verbose_name = _("走访活动")
        verbose_name_plural = _("走访活动")
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="campaign_end_after_start")
        ]

    def __str__(self) -> str:
        return self.name


class CampaignTarget(models.Model):
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="targets")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="campaign_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.household_id}"


class Duty(models.Model):
    """One household's standing under one rule: since when it applies, the last visit, the next due day."""

    rule = models.ForeignKey(VisitRule, models.CASCADE, related_name="duties", verbose_name=_("规则"))
    household = models.ForeignKey(
        "registry.Household", models.CASCADE, related_name="+", verbose_name=_("户"), db_index=False
    )
    since = models.DateField(_("适用起始"))
    last_done = models.DateField(_("上次走访"), null=True, blank=True)
    due_on = models.DateField(_("应访日期"))

    class Meta:
        verbose_name = _("应访")
        verbose_name_plural = _("应访")
        constraints = [models.UniqueConstraint(fields=["household", "rule"], name="duty_household_rule")]
        indexes = [models.Index(fields=["rule", "last_done"]), models.Index(fields=["due_on"])]

    def __str__(self) -> str:
        return f"{self.household_id} {self.rule_id} {self.due_on}"


class HouseholdDue(models.Model):
    """A household's next visit (下次应访): the earliest due day of its duties under active rules, kept
    beside them (`fieldwork.due`) so that a screen counts the households due in a week from one row each,
    not from every duty counted distinct (a city's 700,000 duties: 1.2 s, measured)."""

    household = models.OneToOneField(
        "registry.Household", models.CASCADE, primary_key=True, related_name="+", verbose_name=_("户")
    )
    first_due = models.DateField(_("最早应访日期"), db_index=True)

    class Meta:
        verbose_name = _("户下次应访")
        verbose_name_plural = _("户下次应访")

    def __str__(self) -> str:
        return f"{self.household_id} {self.first_due}"


class Visit(AppendOnlyModel):
    """A visit or contact as the worker entered it (append-only: a correction is a new visit)."""

    client_id = models.CharField(_("客户端编号"), max_length=64)
    client_sender = idempotency.sender_field()
    household = models.ForeignKey(
        "registry.Household", models.PROTECT, related_name="+", verbose_name=_("户")
    )
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    worker = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("走访人"))
    mode = models.CharField(_("方式"), max_length=16, choices=Mode, default=Mode.IN_PERSON)
    persons = models.JSONField(_("见到的人"), default=list, blank=True, help_text=_("本户成员的编号"))
    visited_at = models.DateTimeField(_("走访时间"))
    recorded = models.DateTimeField(_("录入时间"), auto_now_add=True)
    answers = models.JSONField(_("走访事项"), default=dict, blank=True)
    notes = models.TextField(_("情况记录"), blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("距住户（米）"), null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, models.SET_NULL, null=True, blank=True, related_name="visits", verbose_name=_("走访活动")
    )
    case_code = models.CharField(_("到场事件"), max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["household", "visited_at"]),
            models.Index(fields=["grid", "visited_at"]),
            models.Index(fields=["visited_at"]),  # a week's visits over a city: not a scan of its year
        ]
        constraints = [idempotency.unique_per_sender("visit_client_id_unique")]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_at:%Y-%m-%d}"

    @property
    def near(self) -> bool | None:

        return None if self.distance_m is None else self.distance_m <= settings.FIELDWORK_NEAR_METRES

    @property
    def problems(self) -> list[str]:
        return [k for k, v in (self.answers or {}).items() if v == "problem"]


def visit_photo_path(instance, filename: str) -> str:
    return f"visits/{instance.visit.visited_at:%Y/%m}/{instance.visit_id}-{filename}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="photos", verbose_name=_("走访"))
    image = models.ImageField(_("照片"), upload_to=visit_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


class Finding(AppendOnlyModel):
    """What a visit found, and where it went: a proposed archive change, a hazard mark, or a case."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("档案更正")
        HAZARD = "hazard", _("房屋隐患")
        PROBLEM = "problem", _("问题上报")

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="findings", verbose_name=_("走访"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    summary = models.CharField(_("内容"), max_length=255)
    proposal_id = models.PositiveIntegerField(_("档案更正申报"), null=True, blank=True)
    hazard_id = models.PositiveIntegerField(_("隐患"), null=True, blank=True)
    case_code = models.CharField(_("事件编号"), max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = _("走访发现")
        verbose_name_plural = _("走访发现")
        ordering = ["pk"]


class Fulfilment(AppendOnlyModel):
    """A due visit done: the day it was due and the day it was done (coverage is counted from these)."""

    rule = models.ForeignKey(VisitRule, models.CASCADE, related_name="+")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+", db_index=False)
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", db_index=False)
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="fulfilments")
    due_on = models.DateField()
    done_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["grid", "due_on"])]

    def __str__(self) -> str:
        return f"{self.household_id} {self.due_on} → {self.done_on}"


class PatrolPlan(TimeStamped):
    """A community's monthly joint patrol (联动巡查): who walks, what they look at, what they found."""

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("社区"))
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    planned_on = models.DateField(_("计划日期"))
    walked_on = models.DateField(_("巡查日期"), null=True, blank=True)
    members = models.JSONField(_("参加人员"), default=list)
    checklist = models.JSONField(_("巡查事项"), default=dict)
    note = models.TextField(_("巡查小结"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", models.PROTECT, related_name="+", verbose_name=_("制定人")
    )

    class Meta:
        verbose_name = _("联动巡查")
        verbose_name_plural = _("联动巡查")
        ordering = ["-month", "grid"]
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="patrol_once_a_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.grid_id}"


class PatrolFinding(TimeStamped):
    """One thing the patrol found, and what became of it."""

    class Handling(models.TextChoices):
        ON_SPOT = "on_spot", _("现场解决")
        RECORDED = "recorded", _("记录在案")
        CASE = "case", _("转交办理")
        ESCALATED = "escalated", _("提交社区党委")

    plan = models.ForeignKey(PatrolPlan, models.CASCADE, related_name="findings", verbose_name=_("巡查"))
    area = models.CharField(_("类别"), max_length=32)
    item = models.CharField(_("事项"), max_length=64)
    description = models.CharField(_("问题"), max_length=255)
    place = models.CharField(_("位置"), max_length=128, blank=True)
    handling = models.CharField(_("处理方式"), max_length=16, choices=Handling)
    assigned_to = models.CharField(_("交办单位"), max_length=64, blank=True)
    case_code = models.CharField(_("事件编号"), max_length=16, blank=True)
    client_id = models.CharField(_("客户端编号"), max_length=64)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("巡查发现")
        verbose_name_plural = _("巡查发现")
        ordering = ["pk"]
        constraints = [idempotency.unique_per_sender("patrol_finding_client_id_unique")]

    def __str__(self) -> str:
        return self.description


class ServiceRecord(TimeStamped):
    """帮办代办: a service done for a resident (applying for 低保, a disability certificate, pension
    certification...): what, for whom, the steps, the state, the result."""

    class Mode(models.TextChoices):
        HELP = "help", _("帮办")
        PROXY = "proxy", _("代办")
        AT_HOME = "at_home", _("上门办")

    class State(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已办结")
        REFUSED = "refused", _("未能办成")

    person = models.ForeignKey(
        "registry.Person", models.PROTECT, related_name="+", verbose_name=_("服务对象")
    )
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    kind = models.CharField(_("事项"), max_length=64)
    mode = models.CharField(_("方式"), max_length=16, choices=Mode, default=Mode.HELP)
    steps = models.JSONField(_("办理经过"), default=list)
    state = models.CharField(_("状态"), max_length=16, choices=State, default=State.OPEN)
    result = models.CharField(_("结果"), max_length=255, blank=True)
    started_on = models.DateField(_("受理日期"))
    finished_on = models.DateField(_("办结日期"), null=True, blank=True)
    worker = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("经办人"))
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("帮办代办")
        verbose_name_plural = _("帮办代办")
        ordering = ["-started_on", "-pk"]
        constraints = [idempotency.unique_per_sender("service_record_client_id_unique")]

    def __str__(self) -> str:
        return self.kind
