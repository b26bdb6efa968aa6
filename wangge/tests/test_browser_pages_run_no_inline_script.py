"""Names people typed reach the map as text, and the Content-Security-Policy lets no inline script run: a
grid named like an attack shows as its name, runs nothing, and the page reports no CSP violation."""

from pathlib import Path

import pytest

from testkit import UserFactory, the_town
from wangge.accounts.models import User
from wangge.grids import services as grids
from wangge.grids.models import Grid, GridRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">第一网格"
TEMPLATES = Path(__file__).resolve().parents[1]


def test_a_hostile_grid_name_is_shown_as_text_and_runs_nothing(browser, live_server):
    town = the_town()
    unit = town.units[0]
    Grid.objects.filter(pk=unit.pk).update(name=HOSTILE)
    worker = UserFactory(username="wang", role=User.Role.GRID_WORKER, phone="13911113333")
    grids.assign_role(unit, role=GridRole.objects.get(key="full_time_worker"), user=worker)

    page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "13911113333")
    page.fill("#id_password", "Secret-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # each role lands on its own home page
    response = page.goto(f"{live_server.url}/grids/{unit.code}/map/")
    script_src = response.headers["content-security-policy"].split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    page.wait_for_selector("#map.map-ready", timeout=15000)
    page.locator("#map path.leaflet-interactive").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert HOSTILE in popup.inner_text()  # the name, as typed
    assert popup.locator("img").count() == 0
    assert page.title() != "pwned" and dialogs == []
    page.goto(f"{live_server.url}/grids/{unit.code}/")
    page.select_option("#language-select", "en")  # a page behaviour that was an inline handler
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert violations == [], violations
    page.close()


def test_no_template_carries_an_inline_script_or_handler():
    """The policy would block them: the page would silently lose its behaviour."""
    import re

    # a JSON data block is no script (the browser runs none of it)
    data_or_file = r"(?![^>]*\b(?:src=|type=\"application/json\"))"
    inline = re.compile(rf"<script{data_or_file}[^>]*>|\son[a-z]+\s*=\s*[\"']", re.I)
    found = [
        f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
        for path in TEMPLATES.rglob("templates/**/*.html")
        for m in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
