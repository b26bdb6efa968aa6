from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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
