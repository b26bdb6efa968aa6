"""The screenshots in this folder: each demo role's home page at desktop and phone width, two maps (the
town coloured by its open cases, a worker's round), and the command pages (the leader's screen on the
wall, the typhoon drill, last week's review, a worker's assessment), taken from the demo town (`make run`
serving it at http://127.0.0.1:8000) with Debian's headless Chromium.

    make run                                   # in one terminal
    .venv/bin/python docs/screens/capture.py   # in another
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = os.environ.get("WANGGE_SCREENS_URL", "http://127.0.0.1:8000")
ROLES = ["worker", "community", "centre", "housing", "leader", "resident"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844},
         "wall": {"width": 1920, "height": 1080}}  # fmt: skip
HERE = Path(__file__).resolve().parent
# (file, role, size, page, what to do there before the picture)
MAPS = [
    ("map-town-open-cases", "centre", "desktop", "/grids/map/", "open_cases"),
    ("map-round", "worker", "phone", "/fieldwork/?tab=week", "round"),
]
COMMAND = [
    ("command-screen-wall", "leader", "wall", "/command/screen/?wall=1", False),
    ("command-drill", "centre", "desktop", "/command/operations/", True),
    ("command-weekly-review", "centre", "desktop", "/command/reports/?kind=weekly", True),
    ("command-assessment", "worker", "phone", "/command/assessment/", False),
]


def log_in(browser, role: str, size: str):
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone", locale="zh-CN")
    page = context.new_page()
    page.goto(f"{BASE}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", "Demo@2026")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)  # home, or the leader's screen
    return context, page


def maps(browser) -> None:
    for name, role, size, url, what in MAPS:
        context, page = log_in(browser, role, size)
        page.goto(f"{BASE}{url}")
        if what == "round":
            page.click("summary:has-text('地图')")
            page.wait_for_selector("#round-map.map-ready")
            page.locator("#round-map").scroll_into_view_if_needed()
        else:
            page.select_option("select[name=by]", what)
            page.click("form.toolbar button")
            page.wait_for_selector("#map.map-ready")
        page.wait_for_timeout(1000)  # the buildings, fetched after the grids
        path = HERE / f"{name}.jpg"
        page.screenshot(path=str(path), type="jpeg", quality=70)
        print(path.relative_to(HERE.parent.parent))
        context.close()


def command(browser) -> None:
    for name, role, size, url, first in COMMAND:
        context, page = log_in(browser, role, size)
        page.goto(f"{BASE}{url}")
        if first:  # the first of the list: the drill, the review
            page.click("main table tbody a")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)  # the map and the charts
        path = HERE / f"{name}.jpg"
        page.screenshot(path=str(path), type="jpeg", quality=70, full_page=size == "phone")
        print(path.relative_to(HERE.parent.parent))
        context.close()


def main() -> None:
    chromium = os.environ.get("WANGGE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for role in ROLES:
            for size in ("desktop", "phone"):
                context, page = log_in(browser, role, size)
                path = HERE / f"{role}-{size}.jpg"
                page.screenshot(path=str(path), type="jpeg", quality=70, full_page=size == "desktop")
                print(path.relative_to(HERE.parent.parent))
                context.close()
        maps(browser)
        command(browser)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
