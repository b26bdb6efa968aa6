"""Served by gunicorn with the project's settings (`wangge.gunicorn_conf`), the point index is built once,
in the master, before the server listens; every worker then locates with it from its first request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from wangge.tests.test_nothing_lost_when_a_process_dies import ROOT, RealDatabase, wait_until

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def served_db(tmp_path_factory):
    db = RealDatabase(tmp_path_factory.mktemp("served"))
    db.python("from testkit import build_town; build_town(); print(1)")
    yield db
    db.drop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_master_builds_the_index_before_it_listens_and_every_worker_locates_with_it(served_db, tmp_path):
    leaves = served_db.python("""
from wangge.grids.models import Grid
from shapely.geometry import shape
out = []
for g in Grid.objects.filter(numchild=0).exclude(boundary=None).order_by("path")[:6]:
    p = shape(g.boundary).representative_point()
    out.append([g.code, p.x, p.y])
print(json.dumps(out))
""")
    port, log, access = _free_port(), tmp_path / "error.log", tmp_path / "access.log"
    env = {**served_db.env, "WANGGE_WORKERS": "2"}
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", "python:wangge.gunicorn_conf", "-b", f"127.0.0.1:{port}"),
        *("--error-logfile", str(log), "--log-level", "info", "--access-logfile", str(access)),
        *("--access-logformat", "%(p)s %(s)s %(U)s", "wangge.wsgi:application"),
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_until(lambda: "Booting worker" in _read(log) and _read(log).count("Booting worker") >= 2)
        told = _read(log)
        assert told.index("point index: ") < told.index("Listening at")  # built in the master, first
        assert f"point index: {served_db.python(_LEAVES)} leaf grids" in told
        workers: set[str] = set()
        for attempt in range(200):  # fresh connections until both workers have answered
            code, lon, lat = leaves[attempt % len(leaves)]
            url = f"http://127.0.0.1:{port}/api/locate?lon={lon}&lat={lat}"
            with urllib.request.urlopen(url, timeout=30) as r:
                assert json.load(r)["leaf"]["code"] == code
            workers = {line.split()[0] for line in _read(access).splitlines() if "/api/locate" in line}
            if len(workers) == 2:
                break
        assert len(workers) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


_LEAVES = """
from wangge.grids import services
print(services.warm_index())
"""


def _read(path: Path) -> str:
    time.sleep(0.05)
    return path.read_text() if path.exists() else ""
