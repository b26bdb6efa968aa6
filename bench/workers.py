"""Notifications delivered, and a large deadline sweep run, by one `wangge worker` and by three, on
PostgreSQL (several workers share a queue there; on SQLite one process writes at a time and a deployment
runs one worker).

SMS messages leave through the SMS adapter, which waits for the provider's answer to each: here a local
HTTP gateway of the bench's own that answers after GATEWAY_MS, as a carrier's API does over the network
(the adapter is `GatewaySms` below, named by WANGGE_SMS_ADAPTER as a real provider's would be). MESSAGES
are queued, the workers (already started and idle) are given one delivery task each, and the time until
the last is sent is taken: messages per second with three workers beside one (ratio; target: at least
twice, the work grows with the workers).

The deadline sweep is one periodic task a minute, enqueued once whatever the number of workers; most
minutes little is due (under a millisecond at city size, bench/city.py). When more is due than a batch
(after a holiday, a worker stopped for an hour), the sweep asks the other workers to help: DUE_CASES open
cases of the test town past their deadline, the sweep enqueued, and the time until none is due left, with
three workers beside one (ratio).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import ROOT, bench_postgres_url, figure, setup_django, write_results

MESSAGES = 600
GATEWAY_MS = 30
DUE_CASES = 20_000
TARGET_RATIO = 2.0
SWEEP_TARGET_RATIO = 1.5  # the sweep's work is the database's, on the same 2 cores
WANGGE = str(Path(sys.executable).parent / "wangge")


class GatewaySms:
    """The SMS adapter the workers use here: a POST to the bench's gateway, sent once its answer came."""

    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None:
        data = json.dumps({"key": key, "phone": phone, "text": title}).encode()
        request = urllib.request.Request(os.environ["BENCH_GATEWAY_URL"], data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (the bench's own gateway)
            if answer.status != 200:
                raise RuntimeError(f"HTTP {answer.status}")


class Gateway(BaseHTTPRequestHandler):
    received: set[str] = set()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(GATEWAY_MS / 1000)
        Gateway.received.add(body["key"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def started(workers: int, env: dict) -> list[subprocess.Popen]:
    processes = [
        subprocess.Popen(
            [WANGGE, "worker", "--no-periodic"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(workers)
    ]
    time.sleep(8)  # every worker up and polling the queue
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        os.killpg(p.pid, 9)
        p.wait()


def deliver_with(workers: int, env: dict, round_: str) -> float:
    """Messages per second with this many workers."""
    from wangge.core import outbox
    from wangge.core.models import OutboxMessage
    from wangge.core.tasks import deliver_outbox

    processes = started(workers, env)
    try:
        rows = [
            outbox.row(f"{round_}:{n}", channel="sms", phone=f"138{n:08d}", title="停水通知")
            for n in range(MESSAGES)
        ]
        t0 = time.perf_counter()
        outbox.queue(rows)
        for _ in range(workers):
            deliver_outbox.enqueue(limit=MESSAGES)
        pending = OutboxMessage.objects.filter(key__startswith=f"{round_}:", sent_at__isnull=True)
        while pending.exists():
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
    finally:
        stop(processes)
    sent = {k for k in Gateway.received if k.startswith(f"{round_}:")}
    assert len(sent) == MESSAGES, f"{len(sent)} of {MESSAGES} reached the gateway"
    return MESSAGES / elapsed


def sweep_with(workers: int, env: dict, town, round_: str) -> float:
    """Cases escalated per second by the sweep with this many workers."""
    from testkit.cases import write_open_cases
    from wangge.cases.models import Case
    from wangge.cases.tasks import sweep_deadlines

    due = write_open_cases(town, DUE_CASES, due_every=1, prefix=round_)
    processes = started(workers, env)
    try:
        t0 = time.perf_counter()
        sweep_deadlines.enqueue()
        still_due = Case.objects.filter(next_check_at__lte=time_now())
        while still_due.exists():
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
    finally:
        stop(processes)
    assert Case.objects.filter(pk__in=due, escalation_level=1).count() == len(due)
    return len(due) / elapsed


def time_now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    url = bench_postgres_url()
    if url is None:
        raise SystemExit(
            "bench/workers: PostgreSQL only (DATABASE_URL): on SQLite a deployment runs one worker"
        )
    setup_django("workers", database_url=url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "WANGGE_DATABASE_URL": url,
        "WANGGE_DEBUG": "1",
        "WANGGE_VAR_DIR": str(ROOT / "var" / "bench" / "workers"),
        "WANGGE_SMS_ADAPTER": "bench.workers.GatewaySms",
        "BENCH_GATEWAY_URL": f"http://127.0.0.1:{server.server_address[1]}/",
        "PYTHONPATH": str(ROOT),
    }
    from testkit import build_town

    town = build_town()
    one = deliver_with(1, env, "one")
    three = deliver_with(3, env, "three")
    server.shutdown()
    swept_one = sweep_with(1, env, town, "P")
    swept_three = sweep_with(3, env, town, "Q")
    note = (
        f"{MESSAGES} SMS through the adapter, each sent once its gateway answered ({GATEWAY_MS} ms, a "
        "carrier's API over the network), the workers on PostgreSQL's queue"
    )
    write_results(
        "workers",
        {
            "sms_one_worker_per_s": figure(
                one, "msg/s", baseline=None, target=None, lower_is_better=False, note=f"one worker: {note}"
            ),
            "sms_three_workers_per_s": figure(
                three,
                "msg/s",
                baseline=one,
                target=None,
                lower_is_better=False,
                note=f"three workers; baseline: one worker. {note}",
            ),
            "three_over_one": figure(
                three / one,
                "x",
                baseline=None,
                target=TARGET_RATIO,
                lower_is_better=False,
                note="three workers' rate over one's (target: at least twice)",
            ),
            "sweep_one_worker_per_s": figure(
                swept_one,
                "cases/s",
                baseline=None,
                target=None,
                lower_is_better=False,
                note=f"{DUE_CASES:,} overdue cases escalated by the sweep (locked in batches, updated, an "
                "event and a notification each), one worker",
            ),
            "sweep_three_workers_per_s": figure(
                swept_three,
                "cases/s",
                baseline=swept_one,
                target=None,
                lower_is_better=False,
                note="the same with three workers (the sweep and the helpers it asks for); baseline: one",
            ),
            "sweep_three_over_one": figure(
                swept_three / swept_one,
                "x",
                baseline=None,
                target=SWEEP_TARGET_RATIO,
                lower_is_better=False,
                note="three workers' sweep rate over one's, on 2 cores shared with PostgreSQL (target: 1.5x)",
            ),
        },
        {"messages": MESSAGES, "gateway_ms": GATEWAY_MS, "due_cases": DUE_CASES},
    )


if __name__ == "__main__":
    main()
