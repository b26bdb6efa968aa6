"""The rate limits count in a cache every process shares: two app processes, one after the other, share
one address's allowance (the database's cache table by default; Redis when WANGGE_REDIS_URL names one).
Each process here is a process of its own with the production cache settings (not the test suite's)."""

from __future__ import annotations

import socket

import pytest

from wangge.tests.test_nothing_lost_when_a_process_dies import RealDatabase

pytestmark = pytest.mark.long

ASK = """
from django.test import Client
client = Client(REMOTE_ADDR="203.0.113.9")
print(json.dumps([client.get("/report/nearby/?lon=116.0&lat=26.5").status_code for _ in range({n})]))
"""


@pytest.fixture(scope="module")
def two_processes_db(tmp_path_factory):
    db = RealDatabase(tmp_path_factory.mktemp("counts"))
    db.env = {**db.env, "WANGGE_RATE_NEARBY": "5/m", "WANGGE_ALLOWED_HOSTS": "testserver"}
    yield db
    db.drop()


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_two_processes_share_one_addresss_allowance_in_the_database(two_processes_db):
    db = two_processes_db
    assert db.python(ASK.format(n=3)) == [200, 200, 200]
    assert db.python(ASK.format(n=3)) == [200, 200, 429]  # the other process counted the first three
    assert db.value("SELECT COUNT(*) FROM wangge_cache") >= 1


def test_two_processes_share_one_addresss_allowance_in_redis(two_processes_db):
    if not _redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    import redis

    redis.Redis(db=9).flushdb()
    db = two_processes_db
    db.env = {**db.env, "WANGGE_REDIS_URL": "redis://127.0.0.1:6379/9"}
    assert db.python(ASK.format(n=4)) == [200, 200, 200, 200]
    assert db.python(ASK.format(n=2)) == [200, 429]
    assert any(key.startswith(b"rate:") for key in redis.Redis(db=9).keys())
