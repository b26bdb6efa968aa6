"""Notices to residents (通知公告): published to grids, on the residents' home page (urgent ones pinned),
by SMS through the outbox when asked (once per household per notice, however often it is retried), and
counted as opened where the channel allows (the page). The command's emergency notices come through
here with the operation's area, so that only the households inside it get the SMS."""

from __future__ import annotations

import shapely
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from wangge.audit import services as audit
from wangge.core import outbox
from wangge.core.errors import invalid
from wangge.engagement.models import NoticeRead, ResidentNotice
from wangge.grids import services as grids
from wangge.grids.jurisdiction import can_see_grid, visible
from wangge.registry import services as registry

MAX_SMS = 300


@transaction.atomic
def publish_notice(
    grid_list, *, title: str, body: str, by, urgent: bool = False, sms: bool = False, area: dict | None = None
) -> ResidentNotice:
    """Publish to the grids (each in the publisher's jurisdiction); with `sms`, an SMS to every household
    with a phone in them (inside `area` where one is given)."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise invalid("title", _("请填写标题"), "required")
    if not body:
        raise invalid("body", _("请填写通知内容"), "required")
    grid_list = list(grid_list)
    if not grid_list:
        raise invalid("grids", _("请选择发布范围"), "required")
    if any(not can_see_grid(by, g) for g in grid_list):
        raise invalid("grids", _("只能向您辖区内的网格发布"), "outside")
    if sms and len(body) > MAX_SMS:
        raise invalid("body", _("短信通知最多 %(n)s 个字") % {"n": MAX_SMS}, "out_of_range")
    notice = ResidentNotice.objects.create(
        title=title[:100], body=body, urgent=urgent, sms=sms, published_by=by
    )
    notice.grids.set(grid_list)
    if sms:
        ids = [g.pk for g in grid_list]
        below = list(grids.active_grids().filter(_subtrees(grid_list)).values_list("pk", flat=True)) or ids
        phones = registry.household_phones(by, below)
        shape = shapely.geometry.shape(area) if area else None
        reached = [
            (h, phone)
            for h, phone, point in phones
            if shape is None or point is None or shapely.contains_xy(shape, point[0], point[1])
        ]
        outbox.queue(
            [
                outbox.row(f"notice-{notice.pk}-{h}", title=title, body=body, phone=phone, channel="sms")
                for h, phone in reached
            ]
        )
        notice.households = len(reached)
        notice.save(update_fields=["households"])
    audit.record(
        audit.Action.CREATE,
        actor=by,
        obj=notice,
        object_repr=f"通知 {notice.title}",
        detail={"grids": [g.code for g in grid_list], "sms": notice.households},
    )
    return notice


def _subtrees(grid_list):
    from django.db.models import Q

    q = Q()
    for g in grid_list:
        q |= grids.subtree_q(g.path)
    return q


def withdraw_notice(notice: ResidentNotice, *, by) -> ResidentNotice:
    notice.withdrawn = True
    notice.save(update_fields=["withdrawn", "last_updated"])
    audit.record(audit.Action.CLOSE, actor=by, obj=notice, object_repr=f"通知 {notice.title}")
    return notice


def notices_for(user) -> QuerySet[ResidentNotice]:
    """Staff: the notices published to a grid in their jurisdiction, with how many residents opened each."""
    ids = visible(ResidentNotice.grids.through.objects.all(), user).values("residentnotice")
    return (
        ResidentNotice.objects.filter(pk__in=ids)
        .select_related("published_by")
        .annotate(opened=Count("reads"))
        .order_by("-urgent", "-created")
    )


def notices_of_resident(user) -> QuerySet[ResidentNotice]:
    """A resident's notices: those published to their grid or a grid above it, urgent ones first."""
    person = registry.person_of_user(user)
    if person is None:
        return ResidentNotice.objects.none()
    chain = grids.chain(person.grid)
    return (
        ResidentNotice.objects.filter(grids__in=chain, withdrawn=False)
        .distinct()
        .order_by("-urgent", "-created")
    )


def mark_read(notice: ResidentNotice, user) -> None:
    try:
        with transaction.atomic():
            NoticeRead.objects.get_or_create(notice=notice, user=user)
    except IntegrityError:
        pass  # opened twice at once: once is counted
