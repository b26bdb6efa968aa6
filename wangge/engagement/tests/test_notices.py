"""通知公告: published to grids in the publisher's jurisdiction, shown to the residents of those grids (urgent
ones pinned) and to nobody else, SMS once per household, openings counted; the command's emergency notice
reaches the residents' home page through it."""

import pytest
from django.urls import reverse

from testkit import UserFactory, staff
from wangge.core.models import OutboxMessage
from wangge.engagement import services
from wangge.engagement.models import NoticeRead, ResidentNotice
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_a_notice_reaches_its_grids_residents_once_and_nobody_else(client, town):
    village, other = town.seconds
    clerk = staff("community_staff", scope=village)
    _h, (near, _x) = household_with_people(town.units[0], names=("韩近", "韩家"))
    _h2, (far, _y) = household_with_people(town.units[7], names=("杨远", "杨家"))
    client.force_login(clerk)
    refused = client.post(
        reverse("engagement:notice_new"),
        {"title": "停水通知", "body": "", "grids": [village.pk]},
        follow=True,
    )
    assert "内容：这个字段是必须的" in refused.content.decode()
    client.post(
        reverse("engagement:notice_new"),
        {
            "title": "停水通知",
            "body": "明天 9:00-17:00 第1村停水，请提前储水。",
            "grids": [village.pk],
            "urgent": "on",
            "sms": "on",
        },
    )
    notice = ResidentNotice.objects.get()
    sent = OutboxMessage.objects.filter(key__startswith=f"notice-{notice.pk}-")
    assert sent.count() == notice.households >= 1 and not sent.filter(phone=far.phone).exists()
    with pytest.raises(Exception) as outside:
        services.publish_notice([other], title="越权", body="x", by=clerk)
    assert "只能向您辖区内的网格发布" in str(outside.value)
    resident = UserFactory(role="resident", phone=near.phone)
    client.force_login(resident)
    home = client.get(reverse("home")).content.decode()
    assert "停水通知" in home and "紧急" in home
    assert client.get(reverse("engagement:notice", args=[notice.pk])).status_code == 200
    client.get(reverse("engagement:notice", args=[notice.pk]))
    assert NoticeRead.objects.filter(notice=notice).count() == 1
    stranger = UserFactory(role="resident", phone=far.phone)
    client.force_login(stranger)
    assert "停水通知" not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("engagement:notice", args=[notice.pk])).status_code == 404
    client.force_login(staff("community_staff", scope=other))
    assert "停水通知" not in client.get(reverse("engagement:notices")).content.decode()
    client.force_login(clerk)
    listed = client.get(reverse("engagement:notices")).content.decode()
    assert "停水通知" in listed and '<td class="num">1</td>' in listed  # one resident opened it
