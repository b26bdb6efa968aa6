"""On the phone a worker carries (390 × 844), every page each role's menu reaches fits the screen: nothing
scrolls sideways, no script fails; the tab bar holds the role's main places and 我的 the rest."""

from pathlib import Path

import pytest

from testkit import UserFactory, grid_worker, staff, the_town
from wangge.accounts.models import Department, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Secret-pass-2026"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _people(town) -> dict[str, User]:
    """One user of each role, with something in their lists (a case, a household, a dispute)."""
    from wangge.cases.tests.helpers import report
    from wangge.mediation import services as mediation
    from wangge.registry.tests.factories import household_with_people

    worker = grid_worker(town.units[0], username="p-worker", phone="13900000001")
    address = "鳌阳镇胜利街十五号锦绣花园三栋二单元五零二室"
    names = ("欧阳长长名字的户主", "李秀英")
    _hh, (person, _s) = household_with_people(town.units[0], names=names, address=address)
    report(town.units[0], description="小区门口垃圾桶满了好几天没人清运，气味很大，影响居民出行" * 2)
    mediation.record(mediation.DisputeIn(grid=town.units[0].pk, kind="neighbour", summary="楼上漏水争执",
                                         parties=["王某", "李某"]), by=worker)  # fmt: skip
    users = {
        "worker": worker,
        "micro": staff("micro_grid_leader", username="p-micro"),
        "centre": staff("centre_staff", scope=town.root, username="p-centre"),
        "community": staff("community_staff", scope=town.seconds[0], username="p-community"),
        "department": staff(
            "department_staff", department=Department.objects.get(key="housing"), username="p-housing"
        ),  # fmt: skip
        "leader": staff("leader", scope=town.root, username="p-leader"),
        "admin": staff(User.Role.ADMIN, username="p-admin"),
        "resident": UserFactory(username="p-resident", role=User.Role.RESIDENT, phone=person.phone),
    }
    from wangge.grids import services as grids
    from wangge.grids.models import GridRole

    grids.assign_role(town.units[0], role=GridRole.objects.get(key="micro_grid_leader"), user=users["micro"])
    for u in users.values():
        u.set_password(PASSWORD)
        u.save()
    return users


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(
    "role", ["worker", "micro", "centre", "community", "department", "leader", "admin", "resident"]
)
def test_every_page_of_the_roles_menu_fits_a_phone(browser, live_server, role):
    town = the_town()
    user = _people(town)[role]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    if role == "leader":  # the leader lands on the screen over the town
        page.wait_for_url(f"{live_server.url}/command/screen/")
        assert page.locator("#screen-figures .tile").count() >= 4
    else:
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("#home-panels section").count() >= 2  # their own to-do page
    assert page.locator(".tabbar").is_visible() and not page.locator(".topbar .menu").is_visible()
    tabs = page.locator(".tabbar a").all_inner_texts()
    assert 3 <= len(tabs) <= 5 and "我的" in tabs[-1]
    # each page's own requests (a map's GeoJSON, htmx) finish before the next page is asked for: the test
    # server shares one in-memory SQLite connection between its threads, which overlapping requests lock
    page.goto(f"{live_server.url}/me/", wait_until="networkidle")
    urls = {a.get_attribute("href") for a in page.locator("#all-places a").all()}
    urls |= {a.get_attribute("href") for a in page.locator(".tabbar a").all()}
    wide = []
    pages = sorted(u for u in urls if u and u.startswith("/") and not u.startswith("/api/docs"))
    for url in pages:
        page.goto(f"{live_server.url}{url}", wait_until="networkidle")
        # and the first record each list links to (a case, a household, a person): detail pages fit too
        first = page.locator("main table a[href^='/']").first
        if first.count() and (href := first.get_attribute("href")) and href not in pages and len(pages) < 60:
            pages.append(href)
    for url in pages:
        response = page.goto(f"{live_server.url}{url}", wait_until="networkidle")
        assert response is not None and response.status < 400, (url, response and response.status)
        if (extra := _overflow(page)) > 1:
            wide.append(f"{url}: {extra} px too wide")
            ARTIFACTS.mkdir(exist_ok=True)
            name = url.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(ARTIFACTS / f"phone-{role}-{name}.png"), full_page=True)
    assert wide == [] and errors == [], (wide, errors)
    context.close()
