"""百姓议事会: a resident raises a topic in their own grid; the council meets (at least three people), a
carried vote decides it and the decision is published on the grid's notice board; a vote not carried
leaves it open; a decided matter goes to a case (its number) or to the 百企公益 board and closes when done;
the public record shows decisions without attendees' names; other communities see nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from testkit import UserFactory, grid_worker, staff
from wangge.engagement import services
from wangge.engagement.models import CouncilTopic, ResidentNotice
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db

PEOPLE = "朱大爷、秦阿姨、许师傅、何老师、吕大姐"


def test_from_a_residents_topic_to_a_published_decision_and_its_case(client, town):
    _h, (raiser, _x) = household_with_people(town.units[0], names=("朱大爷", "朱家"))
    resident = UserFactory(role="resident", phone=raiser.phone)
    client.force_login(resident)
    client.post(reverse("engagement:topic_new"), {"title": "院内停车乱", "description": "消防通道常被占"})
    topic = CouncilTopic.objects.get()
    assert topic.grid == town.units[0] and topic.raised_by == resident
    leader = staff("community_staff", scope=town.seconds[0])
    client.force_login(leader)
    url = reverse("engagement:topic_action", args=[topic.pk])
    today = timezone.localdate().isoformat()
    few = client.post(
        url,
        {
            "action": "meeting",
            "held_on": today,
            "place": "村委会",
            "attendees": "朱大爷、秦阿姨",
            "views": "意见不一",
            "way": "vote",
        },
        follow=True,
    )
    assert "议事会至少 3 人参加" in few.content.decode()
    client.post(
        url,
        {
            "action": "meeting",
            "held_on": today,
            "place": "村委会",
            "attendees": PEOPLE,
            "views": "多数同意划线",
            "way": "vote",
            "votes_for": 2,
            "votes_against": 3,
        },
    )
    topic.refresh_from_db()
    assert topic.status == "raised"  # not carried
    client.post(
        url,
        {
            "action": "meeting",
            "held_on": today,
            "place": "村委会",
            "attendees": PEOPLE,
            "views": "划线后多数同意",
            "way": "vote",
            "votes_for": 4,
            "votes_against": 1,
            "decision": "院内划定停车位12个，消防通道禁停",
        },
    )
    topic.refresh_from_db()
    notice = ResidentNotice.objects.get()
    assert topic.status == "decided" and notice.title == "议事结果：院内停车乱" and "赞成 4" in notice.body
    with pytest.raises(ValidationError):
        services.close_topic(topic, note="")
    client.post(url, {"action": "case", "case_code": "20261205-0007"})
    topic.refresh_from_db()
    assert (topic.status, topic.case_code) == ("following", "20261205-0007")
    client.post(url, {"action": "close", "note": "车位已划好"})
    topic.refresh_from_db()
    assert topic.status == "done"
    client.logout()
    public = client.get(reverse("board:council")).content.decode()
    assert "院内划定停车位12个" in public and "秦阿姨" not in public
    client.force_login(staff("community_staff", scope=town.seconds[1]))
    assert client.get(reverse("engagement:topic", args=[topic.pk])).status_code == 404
    assert client.post(url, {"action": "close", "note": "x"}).status_code == 404


def test_a_decided_matter_on_the_board_closes_only_when_the_job_is_done(town):
    worker = grid_worker(town.units[0])
    clerk = staff("community_staff", scope=town.seconds[0])
    topic = services.raise_topic(title="楼道灯不亮", grid=town.units[0], by=worker)
    with pytest.raises(ValidationError) as future:
        services.record_meeting(
            topic,
            held_on=timezone.localdate() + timedelta(days=1),
            place="x",
            attendees=PEOPLE.split("、"),
            views="x",
            way="consensus",
            decision="x",
            by=clerk,
        )
    assert "不能晚于今天" in str(future.value)
    services.record_meeting(
        topic,
        held_on=timezone.localdate(),
        place="楼下",
        attendees=PEOPLE.split("、"),
        views="都同意",
        way="consensus",
        decision="请单位认领修灯",
        by=clerk,
    )
    services.turn_into_task(topic, kind="homes", by=clerk)
    with pytest.raises(ValidationError) as open_job:
        services.close_topic(topic, note="修好了")
    assert "尚未完成" in str(open_job.value)
    with pytest.raises(ValidationError) as outside:
        services.raise_topic(title="别处的事", grid=town.units[7], by=worker)
    assert "辖区内" in str(outside.value)
