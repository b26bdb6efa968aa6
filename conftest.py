"""Shared fixtures: a small scene-built town, users of each kind, API helpers."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the
# same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    """The long test files first (stable otherwise): `make test` hands files to the cores in this order,
    so the long ones start together at the beginning rather than one of them last, on a core of its own,
    while the other core has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _fresh_index():
    """Each test starts with no cached point index (the database was rolled back under it)."""
    from wangge.grids import services

    services._index.invalidate()
    yield
    services._index.invalidate()


@pytest.fixture(autouse=True)
def _no_cached_catalogue():
    """The catalogue and calendar a process keeps belong to the database the last test rolled back."""
    from wangge.cases import services

    services.forget_caches()
    yield
    services.forget_caches()


@pytest.fixture(autouse=True)
def _no_kept_ledger_check():
    """A ledger checked in one test is not the same archive's in the next (it was rolled back)."""
    from wangge.registry import importing

    importing.forget_checked()
    yield
    importing.forget_checked()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the small town from the start (each test's changes are rolled back)."""
    from testkit import build_town

    with django_db_blocker.unblock():
        build_town()


@pytest.fixture
def empty_database(db):
    """For a test of what happens to a database with nothing in it yet (the first scene): every table
    emptied inside the test's transaction, which is rolled back after it (foreign keys are checked at
    commit on both databases, and this one never commits)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture
def town(db):
    from testkit import the_town

    return the_town()


@pytest.fixture
def providers(settings):
    """The fake SMS and WeChat providers on a local port, with the real adapters pointed at them."""
    from django.core.cache import cache

    from testkit.providers import start

    fake, server = start()
    settings.SMS_ADAPTER = "wangge.core.messaging.TencentSms"
    settings.WECHAT_ADAPTER = "wangge.core.messaging.WeChatTemplate"
    settings.TENCENT_SMS = {"secret_id": "AKID-test", "secret_key": "secret", "region": "ap-guangzhou",
                            "app_id": "1400000001", "sign": "鳌阳镇网格", "template_id": "100001",
                            "endpoint": fake.address, "scheme": "http"}  # fmt: skip
    base = f"http://{fake.address}/"
    settings.WECHAT = {**settings.WECHAT, "app_id": "wx-test", "app_secret": "secret", "template_id": "tpl-1",
                       "api_base": base, "oauth_base": f"{base}connect/"}  # fmt: skip
    cache.clear()  # no access token from an earlier test
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """A page request in English leaves its language active in the thread; start every test in Chinese."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


CHROMIUM = os.environ.get("WANGGE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
        # Database work done while Playwright's loop runs opens its own connection: close it here,
        # or PostgreSQL refuses to drop the test database at the end.
        from django.db import connections

        connections.close_all()


@pytest.fixture(autouse=True)
def _no_counts_from_other_tests():
    """Rate-limit counts (kept in this process's cache) belong to the test that made them."""
    from django.core.cache import caches

    for name in ("default", "ratelimit"):
        caches[name].clear()
    yield
