"""In Debian's headless Chromium: a worker opens the round's map on the phone and finds the grid's outline,
its buildings and the households due, labelled; the centre colours the town by open cases."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from testkit import UserFactory, staff
from wangge.accounts.models import User
from wangge.cases.tests.helpers import inside, report
from wangge.fieldwork.models import Duty
from wangge.grids import services as grids
from wangge.grids.models import GridRole
from wangge.registry import services as registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Secret-pass-2026"


def log_in(browser, base: str, username: str, **size):
    page = browser.new_page(locale="zh-CN", **size)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_the_round_map_shows_the_grid_its_buildings_and_the_households_due(browser, live_server):
    from testkit import the_town

    unit = the_town().units[0]
    worker = UserFactory(username="worker-map", role=User.Role.GRID_WORKER)
    grids.assign_role(unit, role=GridRole.objects.get(key="full_time_worker"), user=worker)
    lon, lat = inside(unit)
    building = registry.create_building(grid=unit, name="3栋", address="幸福路3号3栋", lon=lon, lat=lat)
    registry.create_building(grid=unit, name="5栋", address="幸福路3号5栋", lon=lon + 0.0005, lat=lat)
    for room in ("501", "502"):
        house = registry.create_house(address=f"幸福路3号3栋{room}室", building=building, room=room)
        hh = registry.create_household(house=house, phone="13912340000")
        Duty.objects.filter(household=hh).update(due_on=timezone.localdate())

    page = log_in(browser, live_server.url, "worker-map", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/fieldwork/?tab=today")
    page.click("summary:has-text('地图')")
    expect(page.locator("#round-map.map-ready")).to_have_count(1)
    expect(page.locator("#round-map .stop-label")).to_have_text(["幸福路3号3栋 · 2 户"])
    expect(page.locator("#round-map")).to_have_attribute("data-points-loaded", "2")  # both buildings
    expect(page.locator("#round-map .grid-label")).to_have_count(1)  # the grid's outline, named
    expect(page.locator("#round-map .building-label")).to_have_text(["3栋", "5栋"])  # zoomed in: named
    page.close()


def test_the_town_map_coloured_by_open_cases(browser, live_server):
    from testkit import the_town

    town = the_town()
    report(town.units[0])
    report(town.units[0])
    staff("centre_staff", scope=town.root, username="centre-map")
    page = log_in(browser, live_server.url, "centre-map", viewport={"width": 1200, "height": 800})
    page.goto(f"{live_server.url}/grids/{town.root.code}/map/?by=open_cases&depth=3")
    expect(page.locator("#map.map-ready")).to_have_count(1)
    # the legend: the figure's name, then a class per count (at most two cases: 0, 1, 2)
    expect(page.locator("#map .legend")).to_have_text("未结事件012")
    label = page.locator("#map .grid-label", has_text=town.units[0].name)
    expect(label).to_have_text(f"{town.units[0].name} · 2")
    page.close()
