from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import AppendOnly, AppendOnlyModel

__all__ = ["AppendOnly", "AuditRecord"]


class AuditRecord(AppendOnlyModel):
    """Who did what to which record, or looked at whose personal data; never changed, never deleted."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        CLOSE = "close", _("停用")
        SPLIT = "split", _("拆分")
        MERGE = "merge", _("合并")
        IMPORT = "import", _("导入")
        EXPORT = "export", _("导出")
        VIEW_SENSITIVE = "view_sensitive", _("查看敏感信息")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED = "locked", _("账号锁定")
        TOKEN = "token", _("令牌")
        SCENE = "scene", _("应用场景")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # Names kept as text so the record outlives its subject.
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=Action, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_repr}"
