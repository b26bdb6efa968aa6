"""Mediation on the home page: agreements due for a follow-up visit, and the month's reports not filed."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core.home import Item, Panel, register_panel
from wangge.mediation import permissions as perms
from wangge.mediation import services


def disputes(user) -> Panel | None:
    if not user.has_perm(perms.VIEW):
        return None
    mine = services.disputes_for(user)
    url = reverse("mediation:list")
    items = [
        Item(_("调解中"), mine.filter(status__in=[services.S.OPEN, services.S.MEDIATING]).count(), url),
        Item(_("待回访"), services.follow_ups_due(user).count(), f"{url}?follow_up=on", "warn"),
    ]
    if user.has_perm(perms.FILE_REPORT) or user.has_perm(perms.WATCH_REPORTS):
        month = services.today()
        missing = [f for f in services.filings(user, month) if f.state in ("waiting", "overdue")]
        tone = "bad" if any(f.state == "overdue" for f in missing) else "warn"
        label = _("本月月报未报（%(d)s 日前）") % {"d": services.due_day(month).day}
        items.append(Item(label, len(missing), reverse("mediation:monthly"), tone))
    return Panel(_("矛盾纠纷"), items, more=url)


def register() -> None:
    register_panel(disputes, order=30)
