"""In Debian's headless Chromium at phone size: a worker opens today's round, loses the connection, records
a visit with a photo and a problem found, and sees it sent once when the connection returns; the problem
becomes a case."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from testkit import UserFactory, wait_for
from wangge.accounts.models import User
from wangge.cases.models import Case
from wangge.fieldwork.models import Visit
from wangge.grids import services as grids
from wangge.grids.models import GridRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Secret-pass-2026"


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (3000, 2000), "teal").save(buf, "JPEG")
    return buf.getvalue()


def test_a_visit_recorded_offline_is_sent_once_when_back_online(browser, live_server):
    from testkit import the_town
    from wangge.registry.tests.factories import household_with_people

    town = the_town()
    unit = town.units[0]
    worker = UserFactory(username="worker1", role=User.Role.GRID_WORKER, full_name="网格员小王")
    grids.assign_role(unit, role=GridRole.objects.get(key="full_time_worker"), user=worker)
    hh, _people = household_with_people(unit, address="幸福路8号")
    from wangge.fieldwork.models import Duty

    Duty.objects.filter(household=hh).update(due_on=hh.created.date())  # due today
    base = live_server.url

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN")  # fmt: skip
    page = phone.new_page()
    page.goto(f"{base}/accounts/login/?next=/fieldwork/")
    page.fill("#id_username", "worker1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("我的走访")
    expect(page.locator(".stops")).to_contain_text("幸福路8号")
    # The service worker takes over the round; once it does, the round fetches each stop's form for later.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    visit_url = f"/fieldwork/households/{hh.pk}/visit/"
    assert wait_for(
        lambda: page.evaluate(f"caches.match('{visit_url}', {{ignoreVary: true}}).then(r => !!r)")
    )

    # The connection drops in the stairwell.
    phone.set_offline(True)
    page.click(f"a[href='{visit_url}']")
    expect(page.locator("h1")).to_have_text(hh.house.address)
    page.wait_for_load_state()  # the form's scripts listen for the photo before it is chosen
    page.set_input_files("#photos", files=[{"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.click("details summary")
    page.check("input[name='answer:住房与用电用气安全'][value=problem]")
    page.fill("#notes", "楼道堆放杂物")
    page.select_option("#problem_category", "fire_hazard")
    page.fill("textarea[name=problem_description]", "楼道堆满纸箱，堵塞通道")
    # the photo is shrunk on the phone (a loaded machine's canvas may take more than the default 5 s)
    expect(page.locator("#photos[data-ready]")).to_have_count(1, timeout=15_000)
    page.click("#visit-submit")
    expect(page.locator("#visit-status")).to_contain_text("已保存在手机上")
    expect(page.locator("#outbox-status")).to_contain_text(
        "1 条走访保存在手机上"
    )  # back on the round, offline
    assert Visit.objects.count() == 0
    # keep a copy in the page (blobs and all) to replay later
    assert (
        page.evaluate(
            "WanggeOutbox.all().then(items => { window.keptVisit = items[0]; return items.length; })"
        )
        == 1
    )

    # Back online, but the session ran out meanwhile: a login page is no answer, the visit stays put.
    phone.clear_cookies()
    phone.set_offline(False)
    page.evaluate("WanggeOutbox.flush()")
    expect(page.locator("#outbox-status")).to_contain_text("登录已过期")
    assert Visit.objects.count() == 0
    # Logged in again (in another tab): it is sent, once.
    again = phone.new_page()
    again.goto(f"{base}/accounts/login/")
    again.fill("#id_username", "worker1")
    again.fill("#id_password", PASSWORD)
    again.click("button[type=submit]")
    again.wait_for_load_state()
    again.close()
    page.evaluate("WanggeOutbox.flush()")
    assert wait_for(lambda: Visit.objects.count() == 1)
    expect(page.locator("#outbox-status")).to_be_hidden()
    # The answer was lost on a bad line and the phone sends the same visit again: still one visit.
    page.evaluate(
        """() => new Promise(ok => { const r = indexedDB.open('wangge-outbox', 1); r.onsuccess = () => {
             const t = r.result.transaction('visits', 'readwrite');
             t.objectStore('visits').put(window.keptVisit); t.oncomplete = ok; }; })
           .then(() => WanggeOutbox.flush())"""
    )
    expect(page.locator("#outbox-status")).to_be_hidden()
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.worker == worker and visit.photos.count() == 1 and visit.notes == "楼道堆放杂物"
    assert visit.photos.get().width == 1600  # shrunk on the phone (3000 px taken)
    case = Case.objects.get(code=visit.findings.get().case_code)
    assert case.category.key == "fire_hazard" and case.grid == unit
    phone.close()
