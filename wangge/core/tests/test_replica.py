"""The read replica, for real: a PostgreSQL primary and a streaming replica of it (pg_basebackup), each on
its own port in a temporary folder, started by this test with the PostgreSQL binaries of the machine.
`replica_scenario.py` then drives the pages against them and reports where each read went: a marked
page's reads on the replica, an unmarked page's never; a replica held back (replay paused) never serves
a user their own fresh write, while another user's list comes from it; caught up, the writer reads it
again; down, every page reads the primary and works. PostgreSQL only."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.long
ROOT = Path(__file__).resolve().parents[3]
WANGGE = str(Path(sys.executable).parent / "wangge")


def _bindir() -> Path | None:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.strip())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as the postgres account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A primary and its streaming replica in a folder of their own."""

    def __init__(self, bindir: Path):
        self.bin = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="wangge-replica-", dir="/tmp"))
        self.dir.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.primary, self.replica = self.dir / "primary", self.dir / "replica"
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.run(
            "initdb", "-D", str(self.primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"
        )
        self.configure(self.primary, self.primary_port, "wal_level = replica", "max_wal_senders = 4")
        self.run("pg_ctl", "-D", str(self.primary), "-l", str(self.dir / "primary.log"), "-w", "start")
        self.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(self.replica),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        self.configure(self.replica, self.replica_port, "hot_standby = on")
        self.run("pg_ctl", "-D", str(self.replica), "-l", str(self.dir / "replica.log"), "-w", "start")
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "wangge")

    def run(self, program: str, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / program), *args]), check=True, capture_output=True)

    def configure(self, data: Path, port: int, *lines: str) -> None:
        settings = [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.dir}'",
            "fsync = off",
            "synchronous_commit = off",
            *lines,
        ]
        with open(data / "postgresql.conf", "a") as conf:  # later lines win
            conf.write("\n".join(settings) + "\n")

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/wangge"

    def stop(self) -> None:
        for data in (self.replica, self.primary):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    _as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                    capture_output=True,
                )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    url = os.environ.get("WANGGE_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgres"):
        pytest.skip("a streaming replica is PostgreSQL's: this test runs when the suite runs on PostgreSQL")
    bindir = _bindir()
    assert bindir is not None and (bindir / "initdb").exists(), (
        "PostgreSQL's server binaries (initdb) are missing"
    )
    made = Cluster(bindir)
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
