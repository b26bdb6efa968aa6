"""The volunteer pages: the organiser forms a team, adds a member from the register and publishes an
activity; a resident signs up from their phone, scans the QR code at the place to check in, and the
organiser confirms the hours, which the resident sees with a certificate; nobody reaches another
community's teams, activities or volunteers."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import UserFactory, staff
from wangge.core.excel import read_rows
from wangge.engagement import services
from wangge.engagement.models import Activity, SignUp, Team
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_an_activity_from_team_to_hours_through_the_pages(client, town):
    village = town.seconds[0]
    organiser = staff("community_staff", scope=village)
    _h, (volunteer, _x) = household_with_people(town.units[0], names=("冯志愿", "冯家属"))
    client.force_login(organiser)
    client.post(reverse("engagement:team_new"), {"grid": village.pk, "name": "青年突击队", "kind": "youth"})
    team = Team.objects.get()
    client.post(
        reverse("engagement:member_add", args=[team.pk]), {"person": volunteer.pk, "party_member": "on"}
    )
    assert team.members.get().party_member
    start = timezone.localtime() + timedelta(minutes=10)
    fmt = "%Y-%m-%dT%H:%M"
    refused = client.post(
        reverse("engagement:activity_new", args=[team.pk]),
        {
            "title": "河道清理",
            "starts_at": start.strftime(fmt),
            "ends_at": start.strftime(fmt),
            "place": "河堤",
            "capacity": 10,
        },
        follow=True,
    )
    assert "结束时间应晚于开始时间" in refused.content.decode() and not Activity.objects.exists()
    client.post(
        reverse("engagement:activity_new", args=[team.pk]),
        {
            "title": "河道清理",
            "starts_at": start.strftime(fmt),
            "ends_at": (start + timedelta(hours=2)).strftime(fmt),
            "place": "河堤",
            "capacity": 10,
        },
    )
    act = Activity.objects.get()
    page = client.get(reverse("engagement:activity", args=[act.pk])).content.decode()
    assert "<svg" in page and "扫码签到" in page
    resident = UserFactory(role="resident", phone=volunteer.phone)
    client.force_login(resident)
    assert "河道清理" in client.get(reverse("engagement:me")).content.decode()
    client.post(reverse("engagement:sign_up", args=[act.pk]))
    scanned = reverse("engagement:check_in", args=[act.pk]) + f"?code={act.check_in_code}"
    assert "确认签到" in client.get(scanned).content.decode()
    done = client.post(scanned, {"code": act.check_in_code}, follow=True).content.decode()
    assert "已签到" in done
    forged = client.post(
        reverse("engagement:check_in", args=[act.pk]) + "?code=x", {"code": "x"}, follow=True
    )
    assert "签到码不对" in forged.content.decode()
    place = SignUp.objects.get()
    assert place.checked_in_at is not None
    assert client.post(reverse("engagement:hours", args=[act.pk, place.pk]), {"hours": 2}).status_code == 403
    client.force_login(organiser)
    confirmed = client.post(reverse("engagement:hours", args=[act.pk, place.pk]), {"hours": "2"}, follow=True)
    assert "已确认 冯志愿 服务 2.0 小时，发放 20 分" in confirmed.content.decode()
    _head, rows = read_rows(client.get(reverse("engagement:teams"), {"format": "xlsx"}).content)
    assert rows == [[village.name, "青年突击队", "青年志愿", "", 1, 1, 2.0]]
    client.force_login(resident)
    mine = client.get(reverse("engagement:my_volunteering")).content.decode()
    assert re.search(r'<span class="n">2\.0</span>', mine) and "河道清理" in mine


def test_nobody_reaches_another_communitys_teams_activities_or_volunteers(client, town):
    organiser = staff("community_staff", scope=town.seconds[0])
    team = services.create_team(town.seconds[0], name="邻里守望队")
    start = timezone.now() + timedelta(hours=1)
    act = services.create_activity(
        team,
        title="义诊",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="卫生室",
        capacity=5,
        by=organiser,
    )
    _h, (volunteer, _x) = household_with_people(town.units[0], names=("褚大姐", "褚大哥"))
    services.add_member(team, volunteer)
    _h2, (far, _y) = household_with_people(town.units[7], names=("卫远", "卫近"))
    other = staff("community_staff", scope=town.seconds[1])
    client.force_login(other)
    assert client.get(reverse("engagement:team", args=[team.pk])).status_code == 404
    assert client.get(reverse("engagement:activity", args=[act.pk])).status_code == 404
    assert client.get(reverse("engagement:volunteer", args=[volunteer.pk])).status_code == 404
    assert client.get(reverse("engagement:certificate", args=[volunteer.pk])).status_code == 404
    assert (
        client.post(reverse("engagement:member_add", args=[team.pk]), {"person": far.pk}).status_code == 404
    )
    assert "义诊" not in client.get(reverse("engagement:activities")).content.decode()
    far_resident = UserFactory(role="resident", phone=far.phone)  # lives in the other village
    client.force_login(far_resident)
    assert client.get(reverse("engagement:activity", args=[act.pk])).status_code == 404
    assert client.post(reverse("engagement:sign_up", args=[act.pk])).status_code == 404
    assert not SignUp.objects.exists()
