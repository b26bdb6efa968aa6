"""Engagement on the home page: a resident's notices (urgent ones pinned first) and their points; a
keeper's spare keys not back in time."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core.home import Item, Line, Panel, register_panel
from wangge.engagement import permissions as perms
from wangge.engagement import services
from wangge.engagement.services import keys


def notices(user) -> Panel | None:
    if getattr(user, "role", "") != "resident":
        return None
    found = list(services.notices_of_resident(user)[:5])
    lines = [Line(n.title, reverse("engagement:notice", args=[n.pk]), _("紧急") if n.urgent else "",
                  "bad" if n.urgent else "") for n in found]  # fmt: skip
    points = sum(a.balance for a in services.accounts_of_resident(user))
    return Panel(_("通知与积分"), [Item(_("我的积分"), points, reverse("engagement:me"))], lines=lines,
                 more=reverse("engagement:my_notices"))  # fmt: skip


def spare_keys(user) -> Panel | None:
    if not user.has_perm(perms.KEEP_KEYS):
        return None
    mine = keys.keys_for(user)
    late = keys.overdue(mine).count()
    if not late:
        return None
    return Panel(_("备用钥匙"), [Item(_("超期未还"), late, reverse("engagement:keys") + "?overdue=1", "bad")])


def register() -> None:
    register_panel(notices, order=11)
    register_panel(spare_keys, order=45)
