from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from wangge.core.models import SceneNamed, TimeStamped


class GridLevel(SceneNamed):
    """A level of the tree (街道, 社区, 楼栋...), set by the scene."""

    depth = models.PositiveSmallIntegerField(_("层级"), unique=True)
    code_digits = models.PositiveSmallIntegerField(_("编码位数"), help_text=_("本级在上级编码后追加的位数"))
    allowed_parent_levels = models.JSONField(
        _("允许的上级"),
        default=list,
        blank=True,
        help_text=_("空表示上一层级；场景可规定如“网格不得直属街道”"),
    )

    class Meta:
        verbose_name = _("网格层级")
        verbose_name_plural = _("网格层级")
        ordering = ["depth"]


class GridKind(SceneNamed):
    """What a grid covers: residential estate, rural settlement, businesses, institutions..."""

    exclusive = models.BooleanField(
        _("专属网格"), default=False, help_text=_("为单一单位划设的网格（专属网格）")
    )
    color = models.CharField(_("地图颜色"), max_length=16, default="#3b82f6")

    class Meta:
        verbose_name = _("网格类型")
        verbose_name_plural = _("网格类型")
        ordering = ["pk"]


class Grid(MP_Node, TimeStamped):
    """A piece of the town small enough for its people to know every household."""

    name = models.CharField(_("名称"), max_length=128)
    code = models.CharField(_("编码"), max_length=40, unique=True)
    level = models.ForeignKey(GridLevel, models.PROTECT, verbose_name=_("层级"))
    kind = models.ForeignKey(GridKind, models.PROTECT, null=True, blank=True, verbose_name=_("类型"))
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 几何，WGS-84"))
    area_m2 = models.FloatField(_("面积（平方米）"), default=0)
    center_lon = models.FloatField(_("中心经度"), null=True, blank=True)
    center_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    valid_from = models.DateField(_("启用日期"))
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors", verbose_name=_("前身网格")
    )

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="grid_name_not_blank"),
            models.CheckConstraint(condition=~Q(code=""), name="grid_code_not_blank"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="grid_valid_to_after_from",
                violation_error_message=_("停用日期不能早于启用日期"),
            ),
        ]
        # the top levels of a subtree (a unit chooser: a city's 222 grids above its communities, where the
        # path alone scanned all 222,221 rows: 49 ms, measured)
        indexes = [models.Index(fields=["depth", "path"], name="grid_depth_path")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self) -> str:
        return reverse("grids:grid_detail", args=[self.code])

    @property
    def is_active(self) -> bool:
        return self.valid_to is None


class GridBoundary(models.Model):
    """A grid's boundary over a span of days (valid_to: the first day it no longer held). Written when a
    boundary is redrawn, so that locating a point on a past day, and the map of that day, use the line
    that held then; a grid never redrawn has none (its boundary has held since it opened)."""

    grid = models.ForeignKey(Grid, models.CASCADE, related_name="boundary_versions", verbose_name=_("网格"))
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    area_m2 = models.FloatField(_("面积（平方米）"), default=0)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    changed_by = models.CharField(_("修改人"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("边界版本")
        verbose_name_plural = _("边界版本")
        ordering = ["grid", "valid_from"]
        indexes = [models.Index(fields=["grid", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.grid} {self.valid_from}"


class GridParentHistory(models.Model):
    """Which grid a grid stood under over a span of days, written when a split or a merge moves it to a
    new parent, so that the tree of a past day shows it where it was then (valid_to: first day not)."""

    grid = models.ForeignKey(Grid, models.CASCADE, related_name="parent_history", verbose_name=_("网格"))
    parent = models.ForeignKey(Grid, models.CASCADE, null=True, related_name="+", verbose_name=_("上级网格"))
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("上级变更记录")
        verbose_name_plural = _("上级变更记录")
        indexes = [models.Index(fields=["valid_from"])]

    def __str__(self) -> str:
        return f"{self.grid} ← {self.parent} {self.valid_from}"


class BoundaryVersion(models.Model):
    """One row whose counter goes up whenever any boundary changes, so every process rebuilds its index."""

    counter = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("边界版本")

    def __str__(self) -> str:
        return str(self.counter)


class GridRole(SceneNamed):
    """A role in a grid (网格长, 专职网格员, 楼长...), named by the scene."""

    levels = models.JSONField(_("适用层级"), default=list, blank=True)
    grants_jurisdiction = models.BooleanField(
        _("授予辖区"), default=True, help_text=_("担任者可查看该网格的数据")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("网格角色")
        verbose_name_plural = _("网格角色")
        ordering = ["order", "pk"]


class RoleAssignment(TimeStamped):
    """Someone holding a role in a grid, with the duty phone shown on the public board."""

    grid = models.ForeignKey(Grid, models.PROTECT, related_name="assignments", verbose_name=_("网格"))
    role = models.ForeignKey(GridRole, models.PROTECT, verbose_name=_("角色"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_assignments",
        verbose_name=_("账号"),
    )
    person_name = models.CharField(_("姓名"), max_length=64)
    duty_phone = models.CharField(_("值班电话"), max_length=20, blank=True)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格角色任职")
        verbose_name_plural = _("网格角色任职")
        ordering = ["role__order", "pk"]
        indexes = [models.Index(fields=["user", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.grid.name} {self.role.name} {self.person_name}"
