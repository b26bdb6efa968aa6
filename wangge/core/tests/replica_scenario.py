"""Run by test_replica.py in a process of its own, against a real primary and its streaming replica (the
test starts both): the pages' reads, where they went, through a lag and an outage. Prints its findings
as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import time

import django

django.setup()

import psycopg  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from testkit import build_town, grid_worker  # noqa: E402
from wangge.cases.models import Case  # noqa: E402

REPLICA = os.environ["WANGGE_REPLICA_URL"].replace("postgres://", "postgresql://")
PRIMARY = os.environ["WANGGE_DATABASE_URL"].replace("postgres://", "postgresql://")
found: dict[str, object] = {}


def get(client: Client, url: str, *, replica_up: bool = True) -> tuple[int, str, int, int]:
    """Status, page, and how many queries the primary and the replica answered for it (counting the
    replica's opens a connection to it: not while it is down)."""
    with CaptureQueriesContext(connections["default"]) as primary:
        if not replica_up:
            response = client.get(url)
            return response.status_code, response.content.decode(), len(primary), 0
        with CaptureQueriesContext(connections["replica"]) as replica:
            response = client.get(url)
    return response.status_code, response.content.decode(), len(primary), len(replica)


def replica_sql(sql: str):
    with psycopg.connect(REPLICA, autocommit=True) as conn:
        return conn.execute(sql).fetchone()


def caught_up() -> bool:
    with psycopg.connect(PRIMARY, autocommit=True) as conn:
        (lsn,) = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    return bool(replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")[0])


town = build_town()
writer, reader = grid_worker(town.units[0]), grid_worker(town.units[0])
lon, lat = town.unit_centre(town.units[0])
mine, theirs = Client(), Client()
mine.force_login(writer)
theirs.force_login(reader)
queue = reverse("cases:queue") + "?tab=all"
while not caught_up():
    time.sleep(0.05)

# a marked page reads the replica (the question whether it is up and has caught up, then the page's reads)
status, _page, on_primary, on_replica = get(mine, queue)
found["list"] = [status, on_replica]
found["list_data_on_primary"] = on_primary

# the replica stops replaying: a lag. The writer's own report is on their list all the same (the primary),
# the other worker's list comes from the replica and does not have it yet
replica_sql("SELECT pg_wal_replay_pause()")
while replica_sql("SELECT pg_get_wal_replay_pause_state()")[0] != "paused":
    time.sleep(0.05)
posted = mine.post(
    reverse("cases:new"),
    {"category": "garbage_dumping", "description": "复制延迟中上报的垃圾", "lon": lon, "lat": lat},
)
found["posted"] = posted.status_code
found["cookie"] = "wangge_wal" in posted.cookies
status, page, on_primary, on_replica = get(mine, queue)
found["writer_during_lag"] = [status, "复制延迟中上报的垃圾" in page, on_replica]
status, page, on_primary, on_replica = get(theirs, queue)
found["other_during_lag"] = [status, "复制延迟中上报的垃圾" in page, on_replica]

replica_sql("SELECT pg_wal_replay_resume()")
while not caught_up():
    time.sleep(0.05)
status, page, on_primary, on_replica = get(mine, queue)
found["writer_caught_up"] = [status, "复制延迟中上报的垃圾" in page, on_replica]

# a page that is not marked never reads the replica
new = Case.objects.get(description="复制延迟中上报的垃圾")
status, _page, on_primary, on_replica = get(mine, reverse("cases:detail", args=[new.code]))
found["detail"] = [status, on_replica]

# the replica goes down: the pages read the primary
stop = [os.environ["PG_CTL"], "-D", os.environ["REPLICA_DIR"], "-m", "immediate", "-w", "stop"]
if os.geteuid() == 0:
    stop = ["runuser", "-u", "postgres", "--", *stop]
subprocess.run(stop, check=True, capture_output=True)
status, page, on_primary, on_replica = get(theirs, queue, replica_up=False)
found["replica_down"] = [status, "复制延迟中上报的垃圾" in page, on_primary > 0]
status, page, on_primary, on_replica = get(mine, queue, replica_up=False)
found["replica_down_again"] = [status, "复制延迟中上报的垃圾" in page]
print(json.dumps(found, ensure_ascii=False))
