"""In Debian's headless Chromium at phone size: a grid worker works a typhoon drill's checklist, loses the
connection, records that an old man was moved to the school hall, sees the line change and the update kept
on the phone, and sees it stored once when the connection returns; the board counts him."""

import pytest
from playwright.sync_api import expect

from testkit import UserFactory, staff, wait_for
from wangge.accounts.models import User
from wangge.command import services
from wangge.command.models import CheckUpdate, Shelter
from wangge.command.tests.places import middle, resident
from wangge.grids import services as grids
from wangge.grids.models import GridRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Secret-pass-2026"


def test_a_check_recorded_offline_is_stored_once_when_back_online(browser, live_server):
    from testkit import the_town

    town = the_town()
    unit = town.units[0]
    worker = UserFactory(username="worker1", role=User.Role.GRID_WORKER, full_name="网格员小王")
    grids.assign_role(unit, role=GridRole.objects.get(key="full_time_worker"), user=worker)
    old_man, _house = resident(unit, "王老伯", "elderly_alone", point=middle(unit))
    centre = staff("centre_staff", scope=town.root)
    hall = Shelter.objects.create(grid=unit, name="中心小学礼堂", capacity=50)
    area = services.area_from(centre, grid_codes=[unit.code])
    op = services.start_operation(
        centre, area, title="台风演练", kind="typhoon", drill=True, shelter_ids=[hall.pk]
    )
    check = op.checks.get()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN")  # fmt: skip
    page = phone.new_page()
    url = f"/command/operations/{op.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={url}")
    page.fill("#id_username", "worker1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("台风演练")
    expect(page.locator(f"#check-{check.pk}")).to_contain_text("王老伯")
    # the service worker keeps the checklist for a phone gone offline
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert wait_for(lambda: page.evaluate(f"caches.match('{url}', {{ignoreVary: true}}).then(r => !!r)"))

    phone.set_offline(True)
    page.reload()  # from the cache
    expect(page.locator(f"#check-{check.pk}")).to_contain_text("王老伯")
    row = page.locator(f"#check-{check.pk}")
    row.locator("select[name=state]").select_option("moved")
    row.locator("select[name=shelter]").select_option(str(hall.pk))
    row.locator("input[name=note]").fill("儿子接走后送礼堂")
    row.locator("button").click()
    expect(row.locator("[data-role=state]")).to_have_text("已转移")
    expect(page.locator("#outbox-status")).to_contain_text("1 条排查更新保存在手机上")
    assert CheckUpdate.objects.count() == 0

    phone.set_offline(False)
    page.evaluate("WanggeOutbox.flush()")
    assert wait_for(lambda: CheckUpdate.objects.count() == 1)
    expect(page.locator("#outbox-status")).to_be_hidden()
    check.refresh_from_db()
    assert check.state == "moved" and check.shelter == hall and check.note == "儿子接走后送礼堂"
    page.evaluate("WanggeOutbox.flush()")  # nothing left to send twice
    assert CheckUpdate.objects.count() == 1
    page.reload()
    expect(page.locator("#board-totals")).to_contain_text("1已转移")
    phone.close()
