"""Reports per second through the real HTTP intake path, end to end: the resident's phone form at /report/
served by granian (CSRF, validation, locate, routing by the catalogue, deadlines on the working calendar,
the case, its first step and its outbox rows, written in the request through the ORM), with the worker
delivering the notifications beside it on the same cores; a report counts when its case is written. Beside
it, a bare Django view doing one insert behind the same middleware (the ratio, reported, not a target), on
SQLite and on PostgreSQL. Target: at least 500 reports/s on both.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, collect_static, figure, run_per_database, setup_django
from bench.locate import _free_port, _wait_for

SECONDS = 10
ROUNDS = 3
LUA = """
local counter = 0
local threadid = 0
local points = {%(points)s}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init(args)
  threadid = tid
end
request = function()
  counter = counter + 1
  local p = points[(counter %% #points) + 1]
  local body = "category=street_lamp&description=bench+%%E8%%B7%%AF%%E7%%81%%AF&crs=wgs84&lon=" .. p[1] ..
    "&lat=" .. p[2] .. "&csrfmiddlewaretoken=%(token)s&client_id=%(run)s-" .. threadid .. "-" .. counter
  return wrk.format("POST", "/report/", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=%(token)s; wangge_device=%(device)s"}, body)
end
"""
BARE_LUA = """
request = function()
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  return wrk.format("POST", "/bench/insert", headers, "v=bench")
end
"""


def wrk(url: str, script: str, seconds: int) -> tuple[float, int]:
    """Requests/s and the number of failed responses (4xx/5xx or socket errors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s", "-s", f.name, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    os.unlink(f.name)
    rps, bad = None, 0
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if line.startswith("Non-2xx or 3xx responses:"):
            bad += int(line.split()[-1])
        if line.startswith("Socket errors:"):
            bad += sum(int(x.split()[-1]) for x in line.split(":", 1)[1].split(","))
    if rps is None:
        raise RuntimeError(out)
    if bad:
        print(out, file=sys.stderr)  # which failures: status codes or socket errors
    return rps, bad


SERVER = os.environ.get("WANGGE_BENCH_SERVER", "granian")


def server_command(port: int, workers: int) -> list[str]:
    """granian (docs/deploy.md's recommendation: a Rust HTTP front, measured faster here) or gunicorn."""
    if SERVER == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "wangge.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "error",
        ]
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        "4",
        "--log-level",
        "error",
        "--no-ws",
        "wangge.wsgi:application",
    ]


def run_one(database_url: str | None) -> dict:
    setup_django("intake", database_url=database_url)
    import shapely
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from testkit import build_town
    from wangge.cases import calendar
    from wangge.cases.models import Case

    if not shutil.which("wrk"):
        raise SystemExit("bench/intake.py needs wrk (Debian package wrk): apt-get install wrk")
    town = build_town()
    calendar.seed_from_holidays([time.localtime().tm_year, time.localtime().tm_year + 1])
    rng = random.Random(7)
    points = []
    for unit in town.units:
        shape = shapely.geometry.shape(unit.boundary)
        minx, miny, maxx, maxy = shape.bounds
        for _ in range(20):
            points.append((rng.uniform(minx, maxx), rng.uniform(miny, maxy)))
    with connection.cursor() as cur:
        key = "id SERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "id INTEGER PRIMARY KEY"
        cur.execute(f"CREATE TABLE bench_row ({key}, v text)")
    connection.close()

    port = _free_port()
    env = {
        **os.environ,
        "WANGGE_DEBUG": "0",
        "WANGGE_SECRET_KEY": "bench-only",
        "WANGGE_PII_KEYS": "k1:" + "A" * 43 + "=",
        "WANGGE_PII_INDEX_KEY": "B" * 43 + "=",
        "WANGGE_ALLOWED_HOSTS": "127.0.0.1",
        "WANGGE_LOG_LEVEL": "ERROR",
        "WANGGE_BENCH_VIEWS": "1",
        # wrk sends every report from one address: the per-address limit is kept (its cost is measured)
        # but raised past what the bench sends
        "WANGGE_RATE_REPORT": "10000000/m",
    }
    workers = os.cpu_count() or 2
    collect_static(env)
    server = subprocess.Popen(server_command(port, workers), env=env, cwd=ROOT, start_new_session=True)
    # the worker that delivers the notifications (what `make run` starts beside the web server)
    wangge = str(Path(sys.executable).parent / "wangge")
    worker = subprocess.Popen(
        [wangge, "worker", "--no-periodic", "-v", "0"], env=env, cwd=ROOT, start_new_session=True
    )
    try:
        _wait_for(port)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/report/") as r:  # the cookies a phone would have
            cookies = dict(c.split(";", 1)[0].split("=", 1) for c in r.headers.get_all("Set-Cookie", []))
        token = cookies["csrftoken"]

        def intake_lua(run: str) -> str:
            # a client id of its own per wrk run: a retried report takes another path (the first case
            # read back), and every request measured here is a new report
            points_lua = ", ".join(f"{{{x:.6f}, {y:.6f}}}" for x, y in points)
            device = cookies["wangge_device"]
            return LUA % {"points": points_lua, "token": token, "device": device, "run": run}

        wrk(f"{base}/bench/insert", BARE_LUA, 2)  # warm up both paths and every worker
        wrk(base, intake_lua(f"warm{int(time.time())}"), 2)
        # Rounds of one window each, taking turns: the machine is shared, and its speed drifts by more than
        # a tenth within a minute (measured); the rates are the rounds' sums over their times.
        bare_done = bare_time = made = intake_time = answered = 0.0
        bare_bad = intake_bad = 0
        for n in range(ROUNDS):
            rate, bad = wrk(f"{base}/bench/insert", BARE_LUA, SECONDS)
            bare_done, bare_time, bare_bad = bare_done + rate * SECONDS, bare_time + SECONDS, bare_bad + bad
            before = Case.objects.count()
            started = timezone.now()
            rate, bad = wrk(base, intake_lua(f"run{n}-{int(time.time())}"), SECONDS)
            answered, intake_bad = answered + rate * SECONDS, intake_bad + bad
            made += Case.objects.count() - before
            last = Case.objects.aggregate(last=Max("created"))["last"]
            intake_time += (last - started).total_seconds()  # from the first request to the last case written
        bare, intake, received = bare_done / bare_time, made / intake_time, answered / (SECONDS * ROUNDS)
    finally:
        for p in (server, worker):
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=20)
    vendor = connection.vendor
    assert intake_bad == 0 and bare_bad == 0, (intake_bad, bare_bad)
    print(f"{vendor}: intake {intake:.0f} cases/s ({made:.0f} cases; requests answered {received:.0f}/s), "
          f"bare insert {bare:.0f}/s", flush=True)  # fmt: skip
    note = (f"{SERVER} {workers} workers x 4 threads and one task worker, wrk -t2 -c16, on the same 2 cores; "
            f"{ROUNDS} rounds of {SECONDS} s a side, taking turns; {made:.0f} cases, 0 errors; "
            f"requests answered {received:.0f}/s")  # fmt: skip
    figures = {
        f"{vendor}_intake_rps": figure(
            intake,
            "cases/s",
            baseline=bare,
            target=500,
            lower_is_better=False,
            note=note,
        ),
        f"{vendor}_intake_ratio": figure(
            intake / bare,
            "x",
            baseline=None,
            target=None,
            lower_is_better=False,
            note="intake rate / bare insert rate (reported, not a target)",
        ),
    }
    return figures


def main() -> None:
    run_per_database("intake", "bench.intake", run_one, {"seconds": SECONDS, "rounds": ROUNDS})


if __name__ == "__main__":
    main()
