"""The loop's panels on each role's home page: the queues with their counts, the cases nearest their
deadline, a resident's own reports, the leader's month."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.cases import figures as fig
from wangge.cases import permissions as perms
from wangge.cases import services as cases
from wangge.cases.filters import TABS
from wangge.cases.models import Case
from wangge.core.home import Item, Line, Panel, register_panel
from wangge.grids import jurisdiction, maps

S = Case.Status


def _queue(tab: str, **more: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"tab": tab, **more}.items())
    return f"{reverse('cases:queue')}?{query}"


def work(user) -> Panel | None:
    """事件: the queues the user acts on, counted; the open cases nearest their deadline."""
    if user.role == "resident" or not user.has_perm(perms.VIEW):
        return None
    visible = cases.visible_cases(user)
    department = bool(user.department_id)
    if department:  # a department's own: what was dispatched to it
        visible = visible.filter(cases.department_q(user))
    wanted = ["overdue"]
    if user.has_perm(perms.ACCEPT) and not department:
        wanted = ["reported", "accepted", *wanted]
    if user.has_perm(perms.HANDLE):
        wanted.append("dispatched")
    if user.has_perm(perms.VERIFY) and not department:
        wanted.append("handled")
    if user.has_perm(perms.SUPERVISE):
        wanted.append("supervised")
    extra = {"mine": "on"} if department else {}
    items = [
        Item(
            str(label), visible.filter(q).count(), _queue(key, **extra), "bad" if key == "overdue" else "warn"
        )
        for key, label, q in TABS
        if key in wanted
    ]
    must = visible.filter(cases.OPEN_NOW, category__visit_required=True).exclude(
        events__action=cases.A.SITE_VISIT
    )
    if user.has_perm(perms.HANDLE) and not department:
        items.append(Item(_("五必到待到场"), must.count(), _queue("dispatched"), "warn"))
    nearest = visible.filter(cases.OPEN_NOW, stage_due_at__isnull=False).select_related("category")
    lines = [
        Line(
            f"{c.code} {c.category.name}",
            c.get_absolute_url(),
            _("时限 %(t)s") % {"t": date_format(timezone.localtime(c.stage_due_at), "m-d H:i")},
            "bad" if c.overdue else "",
        )  # fmt: skip
        for c in nearest.order_by("stage_due_at")[:5]
    ]
    title = _("派给本部门的事件") if department else _("事件")
    panel = Panel(title, items, lines, more=_queue("all", **extra))
    top = jurisdiction.top_grids(user).first() if user.role in ("community_staff", "centre_staff") else None
    if top is not None:  # where today's cases are, on a small map of the area
        panel.map_grids = reverse("grids:grid_geojson", args=[top.code]) + "?depth=1"
        panel.map_points = reverse("cases:today_points")
    return panel


def my_reports(user) -> Panel | None:
    """A resident's own reports and their state, and the way to report another."""
    if user.role != "resident":
        return None
    mine = Case.objects.filter(reporter=user).select_related("category").order_by("-created")
    lines = [
        Line(f"{c.category.name}：{c.description[:24]}", cases.follow_url(c.token), c.get_status_display(),
             "" if c.is_open else "ok")
        for c in mine[:8]
    ]  # fmt: skip
    action = Item(_("我要反映问题"), url=reverse("report:start"))
    return Panel(_("我反映的问题"), [Item(_("共"), mine.count())], lines, action=action)


def month(user) -> Panel | None:
    """A leader's month: how the area's cases end (on time, satisfied), not how busy anyone looked."""
    if user.role not in ("leader", "admin") or not user.has_perm(perms.VIEW_FIGURES):
        return None
    today = timezone.localdate()
    period = fig.Period(today.replace(day=1), today)
    rows = fig.compute(cases.visible_cases(user), period, only=("on_time", "satisfaction", "repeat"))
    url = reverse("cases:figures")
    items = [Item(f.name, None if f.value is None else round(f.value * 100), url, unit="%") for f in rows]
    opened = cases.visible_cases(user).filter(cases.OPEN_NOW)
    items.insert(0, Item(_("办理中的事件"), opened.count(), _queue("all")))
    items.insert(1, Item(_("已超时"), opened.filter(overdue=True).count(), _queue("overdue"), "bad"))
    return Panel(_("本月概况"), items, more=url, wide=True)


def _open_by_grid(user) -> dict[int, int]:
    return maps.count_by_grid(cases.visible_cases(user).filter(cases.OPEN_NOW))


def _overdue_by_grid(user) -> dict[int, int]:
    return maps.count_by_grid(cases.visible_cases(user).filter(cases.OPEN_NOW, overdue=True))


def register() -> None:
    maps.register_figure(maps.Figure("open_cases", gettext_lazy("未结事件"), _open_by_grid, perms.VIEW))
    maps.register_figure(maps.Figure("overdue_cases", gettext_lazy("超时事件"), _overdue_by_grid, perms.VIEW))
    register_panel(my_reports, order=10)
    register_panel(month, order=15)
    register_panel(work, order=20)
