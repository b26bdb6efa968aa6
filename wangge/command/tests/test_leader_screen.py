"""一屏管全城: the leader lands on the screen of their area; every figure on it is a link to its cases or
people, inside the viewer's jurisdiction; the month's rates are the figures' own (summed from the daily
tallies); the figures refresh as a fragment; a worker sees only their grid, another's is a 404."""

import re

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.cases import figures, tallies
from wangge.cases import services as cases
from wangge.cases.tests.helpers import Cast, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_town(town):
    """A few cases in two units: one open and late, one closed on time by the worker, one in unit 7."""
    cast = Cast(town)
    done = report(town.units[0], channel="hotline", description="垃圾堆放")
    cases.accept(done, by=cast.worker)
    cases.dispatch(done, by=cast.centre)
    cases.handle(done, by=cast.worker, comment="已清理")
    cases.verify(done, by=cast.worker, passed=True)
    cases.rate(done, rating="satisfied")
    report(town.units[0], description="路边垃圾")
    report(town.units[7], "street_lamp", description="路灯坏了")
    tallies.refresh()
    return cast


def links(html: str) -> list[str]:
    return sorted({h.replace("&amp;", "&") for h in re.findall(r'href="([^"#]+)"', html)
                   if h.startswith(("/cases", "/registry", "/fieldwork", "/mediation"))})  # fmt: skip


def test_the_leader_lands_on_the_screen_and_every_figure_drills_down(client, town, busy_town):
    leader = staff("leader", scope=town.root)
    client.force_login(leader)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home.url == reverse("command:screen")
    page = client.get(home.url)
    html = page.content.decode()
    assert page.status_code == 200 and "一屏统览" in html and 'id="map"' in html
    assert "今日上报" in html and "按期结案率" in html and "本周应访户" in html and "未化解纠纷" in html
    found = links(html[html.index('id="screen-figures"') :])  # the screen's own, not the menu's
    assert len(found) >= 15
    for url in found:  # each number opens its list, for this leader
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("home"), {"panels": ""}).status_code == 200  # the panels stay a click away


def test_the_month_on_the_screen_is_the_figures_own(client, town, busy_town):
    leader = staff("leader", scope=town.root)
    client.force_login(leader)
    from wangge.command import screen as command_screen

    shown = command_screen.screen(leader, town.root)
    today = shown.cases.month[0]  # the period: this month to today
    qs, _unit = cases.figure_cases(leader, town.root.code)
    from django.utils import timezone

    on = timezone.localdate()
    counted = {f.key: (f.num, f.den) for f in figures.compute(qs, figures.Period(on.replace(day=1), on))}
    assert {f.key: (f.num, f.den) for f in shown.cases.month} == counted
    assert counted["satisfaction"] == (1, 1) and today.key == "acceptance"
    assert shown.cases.today == 3


def test_a_worker_sees_their_grid_and_not_anothers(client, town, busy_town):
    worker = grid_worker(town.units[7])
    client.force_login(worker)
    page = client.get(reverse("command:screen")).content.decode()
    assert town.units[7].name in page
    assert client.get(reverse("command:screen_grid", args=[town.units[0].code])).status_code == 404
    assert client.get(reverse("command:screen_grid", args=[town.root.code])).status_code == 404
    part = client.get(reverse("command:screen"), {"part": "figures"}, HTTP_HX_REQUEST="true")
    text = part.content.decode()
    assert part.status_code == 200 and 'id="screen-figures"' in text and "<html" not in text
    # unit 7's one case, none of unit 0's: the worker's screen counts their grid only
    assert re.search(r'<span class="n">1</span><span>今日上报', text)
