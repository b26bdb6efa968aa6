"""Each role lands on its own to-do page, built from the data it already has, every number a link; a
resident's menu holds only what a resident may open."""

import re

import pytest
from django.urls import reverse

from testkit import UserFactory
from wangge.accounts.models import User
from wangge.cases import services as cases
from wangge.cases.tests.helpers import Cast, report
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def figures_of(html: str) -> dict[str, str]:
    """{label: count} of the home page's panels."""
    return {label: n for n, label in re.findall(r'<b class="n[^"]*">([^<]+)</b><span>([^<]+)</span>', html)}


def test_staff_land_on_their_queues_counted_and_linked(client, town):
    cast = Cast(town)
    waiting = report(town.units[0])
    sent = report(town.units[0], "street_lamp")
    cases.accept(sent, by=cast.centre)
    cases.dispatch(sent, by=cast.centre)  # street lamps go to the housing department
    client.force_login(cast.worker)
    home = client.get("/")
    assert home.status_code == 200 and "<h2>走访" in home.content.decode()
    assert figures_of(home.content.decode())["待受理"] == "1"
    assert f'href="{reverse("cases:queue")}?tab=reported"' in home.content.decode()
    client.force_login(cast.housing)  # a department: what was dispatched to it, nearest deadline first
    page = client.get("/").content.decode()
    assert "派给本部门的事件" in page and figures_of(page)["办理中"] == "1" and sent.code in page
    assert waiting.code not in page and "没有可查看的网格" not in page
    client.force_login(cast.leader)  # lands on the screen; the month's panel is a click away
    assert client.get("/")["Location"] == reverse("command:screen")
    assert "本月概况" in client.get("/", {"panels": ""}).content.decode()


def test_a_resident_lands_on_reporting_their_reports_and_household(client, town):
    _hh, (head, _s) = household_with_people(town.units[0])
    resident = UserFactory(username="res", role=User.Role.RESIDENT, phone=head.phone)
    mine = report(town.units[0], by=resident, description="楼道灯坏了")
    client.force_login(resident)
    page = client.get("/").content.decode()
    assert "我要反映问题" in page and "楼道灯坏了" in page and mine.get_status_display() in page
    assert reverse("registry:me") in page and "将随" not in page
    menu = client.get(reverse("me_menu")).content.decode()
    for hidden in (reverse("grids:tree"), reverse("grids:my_map"), reverse("accounts:tokens"), "/api/docs"):
        assert f'href="{hidden}"' not in page and f'href="{hidden}"' not in menu
    assert f'href="{reverse("report:start")}"' in menu


def test_the_centre_sees_where_todays_cases_are_on_a_small_map(client, town):
    from testkit import grid_worker

    cast = Cast(town)
    today = report(town.units[0])
    client.force_login(cast.centre)
    page = client.get("/").content.decode()
    assert 'id="today-map"' in page and reverse("cases:today_points") in page
    points = client.get(reverse("cases:today_points")).json()["features"]
    assert [f["properties"]["address"] for f in points] == [today.code]
    client.force_login(grid_worker(town.units[7]))  # another grid's worker: not their case
    assert client.get(reverse("cases:today_points")).json()["features"] == []
