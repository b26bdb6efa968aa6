"""The read replica, for real: a PostgreSQL primary and a streaming replica of it (pg_basebackup), each on
its own port in a temporary folder, started by this test with the PostgreSQL binaries of the machine.
`replica_scenario.py` then drives the pages against them and reports where each read went: a marked
page's reads on the replica, an unmarked page's never; a replica held back (replay paused) never serves
a user their own fresh write, while another user's list comes from it; caught up, the writer reads it
again; down, every page reads the primary and works. PostgreSQL only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.cluster import Cluster, bindir

pytestmark = pytest.mark.long
ROOT = Path(__file__).resolve().parents[3]
WANGGE = str(Path(sys.executable).parent / "wangge")


@pytest.fixture(scope="module")
def cluster():
    url = os.environ.get("WANGGE_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgres"):
        pytest.skip("a streaming replica is PostgreSQL's: this test runs when the suite runs on PostgreSQL")
    found = bindir()
    assert found is not None and (found / "initdb").exists(), (
        "PostgreSQL's server binaries (initdb) are missing"
    )
    made = Cluster(found)
    yield made
    made.stop()


def test_reads_go_where_they_may_and_a_writer_never_misses_their_own_write(cluster, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_CURRENT_TEST")},
        "WANGGE_DATABASE_URL": cluster.url(cluster.primary_port),
        "WANGGE_REPLICA_URL": cluster.url(cluster.replica_port),
        "WANGGE_DEBUG": "1",
        "WANGGE_TESTING": "0",
        "WANGGE_VAR_DIR": str(tmp_path),
        "WANGGE_ALLOWED_HOSTS": "testserver",
        "WANGGE_LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "wangge.settings",
        "PG_CTL": str(cluster.bin / "pg_ctl"),
        "REPLICA_DIR": str(cluster.replica),
    }
    subprocess.run([WANGGE, "manage", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "-m", "wangge.core.tests.replica_scenario"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    status, on_replica = found["list"]
    assert status == 200 and on_replica > 1  # the check, then the page's own reads
    assert found["posted"] == 302 and found["cookie"]
    assert found["writer_during_lag"] == [200, True, 1]  # only the check: the replica is behind the write
    status, seen, on_replica = found["other_during_lag"]
    assert (status, seen) == (200, False) and on_replica > 1  # the replica's list, a moment old
    status, seen, on_replica = found["writer_caught_up"]
    assert (status, seen) == (200, True) and on_replica > 1
    assert found["detail"] == [200, 0]
    assert found["replica_down"] == [200, True, True]
    assert found["replica_down_again"] == [200, True]
