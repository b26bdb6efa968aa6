"""The whole loop in Debian's headless Chromium: a resident reports from a phone-sized page with a photo
and a map pin; the grid worker accepts and dispatches; the department handles; the worker verifies; the
resident sees the answer and rates it."""

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from testkit import UserFactory
from wangge.accounts.models import Department, User
from wangge.cases.models import Case
from wangge.grids import services as grids
from wangge.grids.models import GridRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PASSWORD = "Secret-pass-2026"


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (3000, 2000), "orange").save(buf, "JPEG")  # a phone-sized photo, shrunk before upload
    return buf.getvalue()


def login(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_a_report_goes_round_the_whole_loop_in_the_browser(browser, live_server):
    from testkit import the_town

    town = the_town()
    unit = town.units[0]
    worker = UserFactory(username="worker1", role=User.Role.GRID_WORKER, full_name="网格员小王")
    grids.assign_role(unit, role=GridRole.objects.get(key="full_time_worker"), user=worker)
    UserFactory(
        username="housing1", role=User.Role.DEPARTMENT_STAFF, department=Department.objects.get(key="housing")
    )
    base = live_server.url

    # 1. The resident, on a phone, no login: the board's QR code opens the page with the grid filled in.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    page.goto(f"{base}/report/?grid={unit.code}")
    assert unit.name in page.content()
    page.fill("#category-search", "路灯")
    assert page.input_value("#category") == "street_lamp"
    page.wait_for_selector("#attr-how_many")  # the category's extra question arrives
    page.fill("#attr-how_many", "2")
    page.fill("#description", "楼下两盏路灯不亮")
    page.wait_for_selector("#report-map .leaflet-interactive")  # the grid outlines are drawn
    page.click("#report-map", position={"x": 195, "y": 130})  # pin the place on the map (the grid's middle)
    expect(page.locator("[name=lat]")).not_to_have_value("")
    assert "WGS-84" in page.inner_text("#where")
    page.set_input_files("#photos", files=[{"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    expect(page.locator("#photos-note")).to_have_text("1 / 9")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/report/case/**")
    follow_url = page.url
    case = Case.objects.get()
    assert case.code in page.content() and case.grid == unit and case.handler_department.key == "housing"
    photo = case.photos.get()
    assert max(photo.width, photo.height) <= 1600  # resized on the phone

    # 2. The grid worker accepts and dispatches (to the department the catalogue names).
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    w = login(desk, base, "worker1")
    w.goto(f"{base}/cases/")
    w.click(f"text={case.code}")
    # each step waits for the page's own requests (its map) to end: the test server's in-memory SQLite
    # refuses a write that overlaps another request ("table is locked"), which a real server does not
    w.wait_for_load_state("networkidle")
    w.click("button:has-text('受理立案')")
    w.wait_for_load_state("networkidle")
    w.click("button:has-text('派遣')")
    w.wait_for_load_state("networkidle")
    assert "办理中" in w.content()

    # 3. The housing department handles it.
    dept = login(browser.new_context(locale="zh-CN"), base, "housing1")
    dept.goto(f"{base}/cases/{case.code}/")
    dept.wait_for_load_state("networkidle")
    dept.fill("textarea[name=comment]", "已更换两盏灯泡")
    dept.click("button:has-text('处置完成，提交核查')")
    assert "待核查" in dept.content()

    # 4. The worker verifies on site and closes it.
    w.goto(f"{base}/cases/{case.code}/")
    w.wait_for_load_state("networkidle")
    w.click("button:has-text('核查通过，结案')")
    assert "已结案" in w.content()

    # 5. The resident sees the answer and rates it.
    page.goto(follow_url)
    assert "已更换两盏灯泡" in page.content()
    page.check("input[name=rating][value=satisfied]")
    page.click("button:has-text('提交评价')")
    page.wait_for_selector("text=您的评价：满意")
    case.refresh_from_db()
    assert case.rating == "satisfied" and list(case.events.values_list("action", flat=True)) == [
        "report", "accept", "dispatch", "handle", "verify_pass", "rate",
    ]  # fmt: skip
