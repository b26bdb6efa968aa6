"""The screenshots in this folder: each demo role's home page at desktop and phone width, taken from the
demo town (`make run` serving it at http://127.0.0.1:8000) with Debian's headless Chromium.

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
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
HERE = Path(__file__).resolve().parent


def main() -> None:
    chromium = os.environ.get("WANGGE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for role in ROLES:
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, is_mobile=size == "phone", locale="zh-CN")
                page = context.new_page()
                page.goto(f"{BASE}/accounts/login/")
                page.fill("#id_username", role)
                page.fill("#id_password", "Demo@2026")
                page.click("button[type=submit]")
                page.wait_for_url(f"{BASE}/")
                path = HERE / f"{role}-{size}.jpg"
                page.screenshot(path=str(path), type="jpeg", quality=70, full_page=size == "desktop")
                print(path.relative_to(HERE.parent.parent))
                context.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
