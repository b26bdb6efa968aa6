from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import MessageKind, SceneNamed, TimeStamped


class Department(SceneNamed):
    """A functional department (公安, 城管, 民政...), named by the scene."""

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["pk"]


class User(AbstractUser):
    """Anyone who logs in: residents, volunteers, grid workers, staff, leaders, administrators."""

    class Role(models.TextChoices):
        RESIDENT = "resident", _("居民")
        MICRO_GRID_LEADER = "micro_grid_leader", _("微网格长")
        GRID_WORKER = "grid_worker", _("网格员")
        GRID_LEADER = "grid_leader", _("网格长")
        COMMUNITY_STAFF = "community_staff", _("社区工作人员")
        CENTRE_STAFF = "centre_staff", _("街镇综治中心人员")
        DEPARTMENT_STAFF = "department_staff", _("部门工作人员")
        LEADER = "leader", _("领导")
        ADMIN = "admin", _("系统管理员")

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, null=True, blank=True, unique=True)
    # the user's openid with the site's WeChat Official Account, bound by signing in with WeChat
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, null=True, blank=True, unique=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role, default=Role.RESIDENT)
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("部门")
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="department_staff") | Q(department__isnull=False),
                name="department_staff_has_department",
                violation_error_message=_("部门工作人员必须属于一个部门"),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username


class JurisdictionScope(TimeStamped):
    """A grid subtree a user may see, granted beside what their grid roles already give them."""

    user = models.ForeignKey(User, models.CASCADE, related_name="scopes", verbose_name=_("用户"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="scope_unique")]


class ApiToken(TimeStamped):
    """A personal API token for scripts; only its SHA-256 is stored."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("用途"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(_("摘要"), max_length=64, unique=True)
    expires = models.DateTimeField(_("过期时间"))
    revoked = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created"]


class MessagePreference(models.Model):
    """Whether messages of one kind also reach a user by SMS or WeChat (消息设置). Without a row, the
    default of `services.DEFAULT_CHANNELS` holds."""

    user = models.ForeignKey(User, models.CASCADE, related_name="message_preferences", verbose_name=_("用户"))
    kind = models.CharField(_("消息类别"), max_length=16, choices=MessageKind)
    sms = models.BooleanField(_("短信"), default=False)
    wechat = models.BooleanField(_("微信"), default=False)

    class Meta:
        verbose_name = _("消息设置")
        verbose_name_plural = _("消息设置")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="message_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
