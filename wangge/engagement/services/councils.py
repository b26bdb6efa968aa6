"""Residents' councils (百姓议事会): a topic raised by a resident (in their own grid) or by the grid; a
council meeting records who attended, the views and the outcome (a vote with its tally, where more for
than against carries it, or a consensus); a decided matter is published on the grid's notice board and
followed to its end: handed to a case (its number recorded: cases sit above this module and are reached
through their own pages), turned into a 关键小事 on the 百企公益 board, or done by the residents
themselves."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import invalid
from wangge.engagement.models import CouncilMeeting, CouncilTopic, Task
from wangge.engagement.services.notices import publish_notice
from wangge.engagement.services.partners import publish_task
from wangge.grids.jurisdiction import can_see_grid, visible
from wangge.registry import services as registry

C = CouncilTopic.Status


def raise_topic(*, title: str, by, description: str = "", grid=None) -> CouncilTopic:
    """A resident raises a topic in their own grid; a worker in a grid of their jurisdiction."""
    if not (title or "").strip():
        raise invalid("title", _("请填写议题"), "required")
    if getattr(by, "role", "") == "resident":
        person = registry.person_of_user(by)
        if person is None:
            raise invalid("grid", _("没有找到您的居民登记，不能提出议题"), "not_found")
        grid = person.grid
    elif grid is None or not can_see_grid(by, grid):
        raise invalid("grid", _("请选择您辖区内的网格"), "outside")
    return CouncilTopic.objects.create(
        grid=grid, title=title.strip()[:100], description=description or "", raised_by=by
    )


@transaction.atomic
def record_meeting(
    topic: CouncilTopic,
    *,
    held_on: date,
    place: str,
    attendees: list[str],
    views: str,
    way: str,
    by,
    decision: str = "",
    votes_for: int = 0,
    votes_against: int = 0,
    abstained: int = 0,
) -> CouncilMeeting:
    """The meeting and its outcome; a carried vote or a consensus decides the topic and publishes the
    decision on the grid's notice board."""
    attendees = [a.strip() for a in attendees if a and a.strip()]
    if topic.status not in (C.RAISED, C.DECIDED):
        raise invalid("topic", _("该议题已在落实或已办结"), "wrong_state")
    if len(attendees) < 3:
        raise invalid("attendees", _("议事会至少 3 人参加，请列出参会人"), "too_many")
    if held_on > timezone.localdate():
        raise invalid("held_on", _("会议日期不能晚于今天"), "out_of_range")
    if not (views or "").strip() or not (place or "").strip():
        raise invalid("views", _("请填写地点和各方意见"), "required")
    if way not in CouncilMeeting.Way.values:
        raise invalid("way", _("请选择表决或协商一致"), "required")
    if way == CouncilMeeting.Way.VOTE and votes_for + votes_against + abstained > len(attendees):
        raise invalid(
            "votes_for",
            _("票数合计 %(n)s 超过参会人数 %(m)s")
            % {"n": votes_for + votes_against + abstained, "m": len(attendees)},
            "out_of_range",
        )
    carried = way == CouncilMeeting.Way.CONSENSUS or votes_for > votes_against
    if carried and not (decision or "").strip():
        raise invalid("decision", _("请填写决议内容"), "required")
    meeting = CouncilMeeting.objects.create(
        topic=topic,
        held_on=held_on,
        place=place.strip()[:100],
        attendees=attendees,
        views=views.strip(),
        way=way,
        votes_for=votes_for,
        votes_against=votes_against,
        abstained=abstained,
        decision=(decision or "").strip() if carried else "",
        recorded_by=by,
    )
    if carried:
        topic.status, topic.decision = C.DECIDED, meeting.decision
        tally = (
            ""
            if way == "consensus"
            else _("（赞成 %(f)s、反对 %(a)s、弃权 %(b)s）")
            % {"f": votes_for, "a": votes_against, "b": abstained}
        )
        topic.notice = publish_notice(
            [topic.grid],
            title=_("议事结果：%(t)s") % {"t": topic.title},
            by=by,
            body=meeting.decision + tally,
        )
        topic.save(update_fields=["status", "decision", "notice", "last_updated"])
    return meeting


def hand_to_case(topic: CouncilTopic, *, case_code: str) -> CouncilTopic:
    """The decided matter went to the event loop: the case's number, made on the cases pages."""
    if topic.status != C.DECIDED:
        raise invalid("topic", _("只有已决议的议题可以转办"), "wrong_state")
    code = (case_code or "").strip().upper()
    if not code:
        raise invalid("case_code", _("请填写事件编号"), "required")
    topic.case_code, topic.status = code[:32], C.FOLLOWING
    topic.save(update_fields=["case_code", "status", "last_updated"])
    return topic


def turn_into_task(topic: CouncilTopic, *, kind: str, by) -> CouncilTopic:
    """The decided matter goes on the 百企公益 board for a unit or a party member to take."""
    if topic.status != C.DECIDED:
        raise invalid("topic", _("只有已决议的议题可以转办"), "wrong_state")
    topic.task = publish_task(topic.grid, kind=kind, title=topic.title, needs=topic.decision, by=by)
    topic.status = C.FOLLOWING
    topic.save(update_fields=["task", "status", "last_updated"])
    return topic


def close_topic(topic: CouncilTopic, *, note: str) -> CouncilTopic:
    if topic.status not in (C.DECIDED, C.FOLLOWING):
        raise invalid("topic", _("只有已决议的议题可以办结"), "wrong_state")
    if topic.task_id and topic.task is not None and topic.task.status != Task.Status.DONE:
        raise invalid("topic", _("转为的关键小事尚未完成"), "wrong_state")
    if not (note or "").strip():
        raise invalid("note", _("请填写办结情况"), "required")
    topic.status, topic.done_note, topic.done_at = C.DONE, note.strip(), timezone.now()
    topic.save(update_fields=["status", "done_note", "done_at", "last_updated"])
    return topic


def dismiss_topic(topic: CouncilTopic, *, note: str) -> CouncilTopic:
    if topic.status != C.RAISED:
        raise invalid("topic", _("只有待议的议题可以不予议事"), "wrong_state")
    if not (note or "").strip():
        raise invalid("note", _("请说明不予议事的理由"), "required")
    topic.status, topic.done_note, topic.done_at = C.DISMISSED, note.strip(), timezone.now()
    topic.save(update_fields=["status", "done_note", "done_at", "last_updated"])
    return topic


def topics_for(user) -> QuerySet[CouncilTopic]:
    return visible(CouncilTopic.objects.select_related("grid", "task", "raised_by"), user)


def topics_of_resident(user) -> QuerySet[CouncilTopic]:
    return CouncilTopic.objects.filter(raised_by=user).select_related("grid").order_by("-created")


def public_record(grid=None) -> QuerySet[CouncilTopic]:
    """Decided matters, for everyone: the topic, the decision, how it was followed (no attendees' names)."""
    from wangge.grids import services as grids

    qs = CouncilTopic.objects.filter(status__in=[C.DECIDED, C.FOLLOWING, C.DONE]).select_related(
        "grid", "task"
    )
    if grid is not None:
        qs = qs.filter(grids.subtree_q(grid.path, prefix="grid__"))
    return qs.order_by("-last_updated")
