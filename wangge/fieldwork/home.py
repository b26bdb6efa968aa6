"""Field work on the home page: the households due (overdue, today, this week) and the 五必到 cases that
wait for someone on site."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.home import Item, Panel, register_panel
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import services
from wangge.grids import maps


def visits(user) -> Panel | None:
    if not user.has_perm(perms.RECORD) or user.role in ("community_staff", "centre_staff", "admin"):
        return None  # the households are the worker's; the centre sees coverage
    due = services.summary(user)
    url = reverse("fieldwork:round")
    items = [
        Item(_("逾期未访"), due["overdue"] or 0, f"{url}?tab=overdue", "bad"),
        Item(_("今日应访"), due["today"] or 0, f"{url}?tab=today", "warn"),
        Item(_("本周应访"), due["week"] or 0, f"{url}?tab=week"),
        Item(
            _("五必到待到场"),
            services.must_visit(user).count(),
            reverse("cases:queue") + "?tab=dispatched",
            "warn",
        ),
    ]
    return Panel(_("走访"), items, more=url)


def coverage(user) -> Panel | None:
    if user.role not in ("community_staff", "centre_staff") or not user.has_perm(perms.VIEW_COVERAGE):
        return None
    return Panel(_("走访按时率"), [Item(_("按网格查看本月应访与按时"), url=reverse("fieldwork:coverage"))])


def register() -> None:
    maps.register_figure(
        maps.Figure("visits_due", gettext_lazy("本周应访户"), services.due_by_grid_id, perms.VIEW)
    )
    register_panel(visits, order=25)
    register_panel(coverage, order=45)
