"""Notifications a step queues (through the outbox, in the step's transaction)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wangge.cases.models import Case
from wangge.core import links, outbox
from wangge.core.models import MessageKind
from wangge.core.phrases import Phrase, phrase

log = logging.getLogger(__name__)


def follow_url(token: str) -> str:
    """Where a resident follows a report (the receipt's link)."""
    return links.link("report:follow", token)


def short_follow_url(token: str) -> str:
    """The follow page's short address, for SMS (/r/<token>, redirecting to it)."""
    return links.link("follow_short", token)


def _tell_unit(case: Case, key: str, title: Phrase, *, grid=None, department=None) -> None:
    """Tell a unit (its people are looked up when the outbox delivers, not on this request)."""
    outbox.queue(_unit_notices(case, key, title, grid=grid, department=department))


def _unit_notices(case: Case, key: str, title: Phrase, *, grid=None, department=None) -> list:
    grid_id = grid if isinstance(grid, int) or grid is None else grid.pk
    department_id = department if isinstance(department, int) or department is None else department.pk
    if grid_id is None and department_id is None:
        return []
    return [outbox.row(key, grid_id=grid_id, department_id=department_id, title=title, kind=MessageKind.WORK,
                       body=case.description[:200], link=case.get_absolute_url())]  # fmt: skip


def _tell_reporter(case: Case, key: str, title: str | Phrase) -> None:
    outbox.queue(_reporter_notices(case, key, title))


def _reporter_notices(case: Case, key: str, title: str | Phrase, *, followers: bool = True) -> list:
    link = follow_url(case.token)
    words = title.stored() if isinstance(title, Phrase) else title  # an SMS in the site's language
    notices = []
    if case.reporter_id:
        # an account's SMS and WeChat follow its owner's choices (消息设置), through the site message
        notices.append(outbox.row(f"{key}:site", user=case.reporter, title=title, link=link,
                                  kind=MessageKind.MY_REPORT))  # fmt: skip
    phone = case.reporter_phone  # the field decrypts on load; in memory it is plain
    if phone and not case.reporter_id:  # a resident without an account gave this phone to hear back
        short = short_follow_url(case.token)
        notices.append(outbox.row(f"{key}:sms", channel="sms", phone=phone, title=title,
                                  body=f"{case.code} {words}", link=short))  # fmt: skip
    # those who followed it from the report page: the progress, without the code or a link
    notices += [
        outbox.row(
            f"{key}:follower:{f.pk}",
            channel="sms",
            phone=f.phone,
            title=phrase("您关注的问题有新进展"),
            body=title,
        )  # fmt: skip
        for f in (case.followers.all() if followers else ())
    ]
    return notices


def hotline_answer(case: Case) -> dict:
    """A 12345 order's answer in the hotline's own fields (工单编号, 办理结果, 办理情况, 答复时间,
    是否联系诉求人, 承办单位), in Chinese whatever the asking page's language. 是否联系诉求人: the caller
    was reached (a return call that reached them rates the case, as does the caller)."""
    with translation.override("zh-hans"):
        if case.status == Case.Status.REJECTED:
            result = str(_("不予受理"))
        else:
            result = str(case.get_outcome_display() if case.outcome else case.get_status_display())
    handler = case.handler_department or case.handler_grid
    return {
        "工单编号": case.hotline_number,
        "办理结果": result,
        "办理情况": case.answer,
        "答复时间": timezone.localtime(case.closed_at).isoformat() if case.closed_at else None,
        "是否联系诉求人": "是" if case.rating else "否",
        "承办单位": handler.name if handler else "",
    }


def _tell_hotline(case: Case) -> None:
    """A closed 12345 order's answer, pushed to the hotline's system through the outbox (retried until
    it answers 2xx; the key is its idempotency key), when an endpoint is configured."""
    if not (case.hotline_number and settings.HOTLINE_ANSWER_URL):
        return
    body = json.dumps(hotline_answer(case), ensure_ascii=False)
    when = case.closed_at.timestamp() if case.closed_at else 0
    key = f"case:{case.pk}:hotline-answer:{when}"
    url = settings.HOTLINE_ANSWER_URL
    outbox.queue([outbox.row(key, channel="hotline", title=case.hotline_number, body=body, link=url)])
