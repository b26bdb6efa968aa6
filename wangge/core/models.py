from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wangge.core import phrases
from wangge.core.fields import EncryptedBinaryField


class AppendOnly(Exception):
    """Raised when code tries to change or remove a history row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly(f"{self.model._meta.label} rows are append-only")

    def delete(self):
        raise AppendOnly(f"{self.model._meta.label} rows are append-only")


class AppendOnlyModel(models.Model):
    """History (audit records, case steps, visits): written once, never changed or removed by the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"{self._meta.label} rows are append-only")


class TimeStamped(models.Model):
    """Created and last-updated times, on every model that can change."""

    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class SceneNamed(models.Model):
    """Something a scene names (a level, a kind, a role, a department), in Chinese and English."""

    key = models.SlugField(_("标识"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the page's language."""
        return self.name_en if self.name_en and get_language() == "en" else self.name


class SceneApplication(models.Model):
    """Which scene was applied, and when: a scene is applied once per database."""

    name = models.CharField(_("场景"), max_length=64)
    title = models.CharField(_("名称"), max_length=128)
    applied = models.DateTimeField(_("应用时间"), auto_now_add=True)
    data = models.JSONField(_("内容"), default=dict)

    class Meta:
        verbose_name = _("场景")
        verbose_name_plural = _("场景")
        ordering = ["-applied"]

    def __str__(self) -> str:
        return self.title


class MessageKind(models.TextChoices):
    """What a notification is about: each person chooses, per kind, whether it also reaches them by SMS or
    WeChat (the in-site message centre always has it)."""

    WORK = "work", _("派给我或本单位的事件")
    DEADLINE = "deadline", _("超时预警与升级")
    MY_REPORT = "my_report", _("我反映的问题的进展")
    OTHER = "other", _("其他通知")


class OutboxMessage(models.Model):
    """A notification waiting to be sent (transactional outbox): written in the same transaction as the
    change it tells about, so it is never lost; delivered once by `outbox.deliver`."""

    class Channel(models.TextChoices):
        SITE = "site", _("站内消息")
        SMS = "sms", _("短信")
        WECHAT = "wechat", _("微信模板消息")
        HOTLINE = "hotline", _("12345 答复")

    key = models.CharField(_("去重键"), max_length=128)  # unique: Meta.constraints (no LIKE index)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel)
    user = models.ForeignKey(
        "accounts.User",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("接收账号"),
    )
    # or a whole unit: the people holding a role or a scope on a grid, or a department's staff, looked up
    # when the message is delivered (not on the request that raised it)
    to_grid = models.ForeignKey(
        "grids.Grid",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("接收网格"),
    )
    to_department = models.ForeignKey(
        "accounts.Department",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("接收部门"),
    )
    phone = models.CharField(_("接收手机"), max_length=200, blank=True)  # encrypted (crypto.encrypt)
    # what it is about, for each person's choice of channels beyond the site (MessageKind)
    kind = models.CharField(_("消息类别"), max_length=16, choices=MessageKind, default=MessageKind.OTHER)
    title = models.CharField(_("标题"), max_length=128)
    # the title's message id and arguments (core.phrases): shown in the reader's language
    title_msgid = models.CharField(max_length=255, blank=True, default="")
    title_args = models.JSONField(default=dict, blank=True)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=255, blank=True)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("错误"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("待发通知")
        verbose_name_plural = _("待发通知")
        indexes = [
            models.Index(fields=["created"], name="outbox_pending", condition=models.Q(sent_at__isnull=True)),
            # each row names one of its addressees: partial indexes (for deleting one) skip the others
            *[
                models.Index(fields=[f], name=f"outbox_{f}", condition=models.Q(**{f"{f}__isnull": False}))
                for f in ("user", "to_grid", "to_department")
            ],
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_key_unique")]

    def __str__(self) -> str:
        return f"{self.channel} {self.title}"

    @property
    def shown_title(self) -> str:
        return phrases.shown(self.title, self.title_msgid, self.title_args)


class Message(models.Model):
    """The in-site message centre (站内消息): what a user was told, read or not."""

    user = models.ForeignKey(
        "accounts.User",
        models.CASCADE,
        related_name="messages",
        db_index=False,  # led by the (user, read_at) index
        verbose_name=_("接收人"),
    )
    title = models.CharField(_("标题"), max_length=128)
    title_msgid = models.CharField(max_length=255, blank=True, default="")  # as on OutboxMessage
    title_args = models.JSONField(default=dict, blank=True)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=255, blank=True)
    created = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    outbox_key = models.CharField(max_length=128, null=True, blank=True)  # unique: Meta.constraints

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [models.UniqueConstraint(fields=["outbox_key"], name="message_outbox_key_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        return phrases.shown(self.title, self.title_msgid, self.title_args)


class PeriodicSlot(models.Model):
    """When a periodic task is next due, shared by every worker: the one whose UPDATE moves it on enqueues
    the task, so three workers run a sweep once, not three times."""

    task = models.CharField(_("任务"), max_length=128, primary_key=True)
    due_at = models.DateTimeField(_("下次时间"))

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.task


class ExportJob(models.Model):
    """A long export (a town's persons list) written by a background task while the user watches its
    progress; the file holds personal data, so it is encrypted, only its owner downloads it, and it is
    deleted after settings.EXPORT_KEEP_HOURS."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey("accounts.User", models.CASCADE, related_name="+", verbose_name=_("导出人"))
    kind = models.CharField(_("导出内容"), max_length=32)
    params = models.JSONField(_("条件"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    filename = models.CharField(_("文件名"), max_length=128, blank=True)
    content = EncryptedBinaryField(_("文件"), blank=True, default=b"")
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind} {self.get_status_display()}"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
