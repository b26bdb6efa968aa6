"""The archive on the home page: residents' corrections and ledger imports waiting for a clerk, and a
resident's own household."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.home import Item, Panel, register_panel
from wangge.grids import maps
from wangge.registry import permissions as perms
from wangge.registry import selfservice
from wangge.registry.models import ImportJob


def archive(user) -> Panel | None:
    if not user.has_perm(perms.EDIT_ARCHIVE):
        return None
    waiting = selfservice.pending_for(user).count()
    jobs = ImportJob.objects.filter(user=user, status=ImportJob.Status.CHECKED).count()
    items = [
        Item(_("居民申报待确认"), waiting, reverse("registry:proposals"), "warn"),
        Item(_("台账导入待确认"), jobs, reverse("registry:import"), "warn"),
    ]
    return Panel(_("档案"), items, more=reverse("registry:home"))


def household(user) -> Panel | None:
    if user.role != "resident":
        return None
    return Panel(
        _("我的家庭"), [Item(_("查看和更正本户信息（网格员确认后生效）"), url=reverse("registry:me"))]
    )


def register() -> None:
    # the buildings on every grid map, so that a worker finds one without a tile server
    maps.register_layer(
        maps.Layer("buildings", gettext_lazy("楼栋"), "registry:grid_points", perms.VIEW_ARCHIVE)
    )
    register_panel(household, order=12)
    register_panel(archive, order=40)
