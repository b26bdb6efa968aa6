"""Browser tests in Debian's headless Chromium, driven by Playwright (no browser download)."""

from pathlib import Path

import pytest

from testkit import UserFactory
from wangge.accounts.models import User
from wangge.grids import services as grids
from wangge.grids.models import GridRole

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_logs_in_sees_own_grid_on_the_map_not_another_and_switches_to_english(browser, live_server):
    from testkit import the_town

    town = the_town()
    mine, theirs = town.units[0], town.units[-1]
    worker = UserFactory(
        username="zhangwei", role=User.Role.GRID_WORKER, full_name="张伟", phone="13911112222"
    )
    grids.assign_role(mine, role=GridRole.objects.get(key="full_time_worker"), user=worker)

    page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    assert "登录" in page.title()
    page.fill("#id_username", "13911112222")
    page.fill("#id_password", "Secret-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the worker's own home page
    page.goto(f"{live_server.url}/grids/")
    assert mine.name in page.content()

    page.goto(f"{live_server.url}/grids/{mine.code}/map/")
    page.wait_for_selector("#map.map-ready", timeout=15000)
    polygons = page.locator("#map path.leaflet-interactive")
    assert polygons.count() == 1
    assert page.locator("#map").get_attribute("data-features") == "1"
    label = page.locator("#map .grid-label")  # the grid's name on the map, where it fits
    assert label.count() == 1 and label.inner_text() == mine.name and label.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "worker-grid-map.png"), full_page=True)

    response = page.goto(f"{live_server.url}/grids/{theirs.code}/map/")
    assert response.status == 404
    assert "不在您的辖区内" in page.content()
    assert theirs.name not in page.content()

    page.goto(f"{live_server.url}/grids/{mine.code}/")
    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Households" in page.content() and "Public board" in page.content()
    page.close()
