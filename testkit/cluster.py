"""A PostgreSQL primary and its streaming replica in a folder of their own, on ports of their own, made
with the machine's PostgreSQL binaries (initdb, pg_basebackup, pg_ctl): for the replica's test and the
city's benchmark. As root, the servers run as the postgres account (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def bindir() -> Path | None:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as the postgres account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A primary and its streaming replica in a folder of their own."""

    def __init__(self, bindir: Path, *, durable: bool = False, settings: tuple[str, ...] = ()):
        """durable: fsync and synchronous commits as in production (a benchmark); off for tests."""
        self.bin = bindir
        self.settings = (() if durable else ("fsync = off", "synchronous_commit = off")) + settings
        self.dir = Path(tempfile.mkdtemp(prefix="wangge-replica-", dir="/tmp"))
        self.dir.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.primary, self.replica = self.dir / "primary", self.dir / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
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
        # hot_standby_feedback stays off here (the replica's test ran green so, many times): a read the
        # replica cancels is served again from the primary (core/replica.py); docs/deploy.md sets it on
        self.configure(self.replica, self.replica_port, "hot_standby = on")
        self.run("pg_ctl", "-D", str(self.replica), "-l", str(self.dir / "replica.log"), "-w", "start")
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "wangge")

    def run(self, program: str, *args: str) -> None:
        subprocess.run(as_postgres([str(self.bin / program), *args]), check=True, capture_output=True)

    def configure(self, data: Path, port: int, *lines: str) -> None:
        settings = [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.dir}'",
            *self.settings,
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
                    as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                    capture_output=True,
                )
        shutil.rmtree(self.dir, ignore_errors=True)
