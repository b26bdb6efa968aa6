"""Locate a point among 100,000 micro-grids (county-sized area), one point at a time as a request would.

Figures: p50/p95 latency and points/s through grids.services.locate, beside a naive loop over all
polygons of a 1,000-grid sample (ratio) and a bare shapely STRtree query (the floor); memory held by
the index; the HTTP locate endpoint's requests/s beside /healthz on the same server (same run).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date

from bench.common import ROOT, figure, percentile, rss_mb, setup_django, time_calls, write_results

N_POINTS = 100_000
LARGE_COLS, LARGE_ROWS, SMALL_SPLIT, MICRO_PER_SMALL = 7, 3, 3, 530  # 21 large, 189 small, 100,170 micro
WEST, SOUTH, WIDTH, HEIGHT = 115.85, 26.35, 0.30, 0.27  # about 30 km x 30 km


def build_tree(rng: random.Random) -> tuple[int, tuple[float, float, float, float]]:
    import shapely
    from shapely.geometry import mapping

    from wangge.core.scenes import apply_scene
    from wangge.grids import services as grids
    from wangge.grids.geometry import to_geojson
    from wangge.grids.models import Grid, GridLevel

    apply_scene("county-town")
    lv = {x.key: x for x in GridLevel.objects.all()}
    start = date(2024, 1, 1)
    root = grids.create_grid(
        name="县城",
        level=lv["county_town"],
        code="360730001",
        valid_from=start,
        boundary=to_geojson(shapely.box(WEST, SOUTH, WEST + WIDTH, SOUTH + HEIGHT)),
    )
    rows: list[Grid] = []
    lw, lh = WIDTH / LARGE_COLS, HEIGHT / LARGE_ROWS
    sw, sh = lw / SMALL_SPLIT, lh / SMALL_SPLIT
    n_large = 0
    micro = 0
    for li in range(LARGE_COLS * LARGE_ROWS):
        lx, ly = WEST + (li % LARGE_COLS) * lw, SOUTH + (li // LARGE_COLS) * lh
        n_large += 1
        lpath = Grid._get_path(root.path, 2, n_large)
        lcode = f"{root.code}{n_large:03d}"
        rows.append(
            Grid(
                name=f"第{n_large}大网格",
                code=lcode,
                level=lv["large"],
                path=lpath,
                depth=2,
                numchild=SMALL_SPLIT**2,
                valid_from=start,
                boundary=mapping(shapely.box(lx, ly, lx + lw, ly + lh)),
            )
        )
        for si in range(SMALL_SPLIT**2):
            sx, sy = lx + (si % SMALL_SPLIT) * sw, ly + (si // SMALL_SPLIT) * sh
            spath = Grid._get_path(lpath, 3, si + 1)
            scode = f"{lcode}{si + 1:03d}"
            box = shapely.box(sx, sy, sx + sw, sy + sh)
            rows.append(
                Grid(
                    name=f"{n_large}-{si + 1}小网格",
                    code=scode,
                    level=lv["small"],
                    path=spath,
                    depth=3,
                    numchild=MICRO_PER_SMALL,
                    valid_from=start,
                    boundary=mapping(box),
                )
            )
            pts = shapely.points(
                [(rng.uniform(sx, sx + sw), rng.uniform(sy, sy + sh)) for _ in range(MICRO_PER_SMALL)]
            )
            cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, ordered=True)
            cells = shapely.intersection(shapely.get_parts(cells), box)
            for mi, cell in enumerate(cells, start=1):
                micro += 1
                rows.append(
                    Grid(
                        name=f"{n_large}-{si + 1}-{mi}微网格",
                        code=f"{scode}{mi:03d}",
                        level=lv["micro"],
                        path=Grid._get_path(spath, 4, mi),
                        depth=4,
                        numchild=0,
                        valid_from=start,
                        boundary=mapping(cell),
                    )
                )
    Grid.objects.bulk_create(rows, batch_size=5000)
    Grid.objects.filter(pk=root.pk).update(numchild=n_large)
    grids.boundaries_changed()
    return micro, (WEST, SOUTH, WEST + WIDTH, SOUTH + HEIGHT)


def http_figures(points: list[tuple[float, float]]) -> tuple[dict, dict]:
    """Requests/s of /api/locate beside /healthz, served by gunicorn on this machine."""
    port = _free_port()
    env = {
        **os.environ,
        "WANGGE_DEBUG": "0",
        "WANGGE_SECRET_KEY": "bench-only",
        "WANGGE_ALLOWED_HOSTS": "127.0.0.1",
        "WANGGE_LOG_LEVEL": "ERROR",
    }
    workers = os.cpu_count() or 2
    server = subprocess.Popen(
        [
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
            "--keep-alive",
            "5",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        _wait_for(port)
        lon, lat = points[0]
        locate_url = f"http://127.0.0.1:{port}/api/locate?lon={lon:.6f}&lat={lat:.6f}"
        health_url = f"http://127.0.0.1:{port}/healthz"
        _load(locate_url, 2)  # warm every worker's index
        client = "wrk" if shutil.which("wrk") else "python"
        health = _load(health_url, 10)
        locate = _load(locate_url, 10)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    note = f"gunicorn gthread, {workers} workers x 4 threads; load by {client} on the same 2-core machine"
    return (
        figure(locate, "req/s", baseline=health, target=1000, lower_is_better=False, note=note),
        figure(
            health, "req/s", baseline=None, target=None, lower_is_better=False, note="/healthz, no database"
        ),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _load(url: str, seconds: int) -> float:
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, timeout=seconds + 30
        ).stdout
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                return float(line.split()[1])
        raise RuntimeError(out)
    return _python_load(url, seconds)


def _python_load(url: str, seconds: int) -> float:
    """Fallback without wrk: keep-alive HTTP from 8 threads (the client itself eats CPU: a lower bound)."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    counts = []

    def worker():
        n = 0
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
            r = conn.getresponse()
            r.read()
            if r.getheader("connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            n += 1
        counts.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def main() -> None:
    setup_django("locate")
    import shapely

    from wangge.grids import services as grids

    rng = random.Random(7)
    t0 = time.perf_counter()
    micro, (w, s, e, n) = build_tree(rng)
    print(f"built {micro:,} micro-grids in {time.perf_counter() - t0:.1f} s", flush=True)
    points = [(rng.uniform(w, e), rng.uniform(s, n)) for _ in range(N_POINTS)]

    rss0 = rss_mb()
    t0 = time.perf_counter()
    grids.locate(*points[0])  # builds the index
    build_s = time.perf_counter() - t0
    index_mb = rss_mb() - rss0
    index = grids._index.get(grids.today())

    ours = time_calls(grids.locate, points)
    found = sum(1 for p in points[:2000] if grids.locate(*p) is not None)
    tree = index.tree
    floor = time_calls(lambda x, y: tree.query(shapely.Point(x, y), predicate="intersects"), points)

    sample = list(index.geoms[:1000])
    minx, miny, maxx, maxy = shapely.total_bounds(sample)
    sample_points = [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(1000)]

    def naive(x, y):
        p = shapely.Point(x, y)
        for g in sample:
            if g.contains(p):
                return g
        return None

    naive_t = time_calls(naive, sample_points)
    p50, p95 = percentile(ours, 0.5), percentile(ours, 0.95)
    floor_p95 = percentile(floor, 0.95)
    naive_p95 = percentile(naive_t, 0.95)
    print(
        f"index: {len(index):,} leaves, built in {build_s:.1f} s; {found}/2000 sample points found",
        flush=True,
    )
    locate_http, health_http = http_figures(points)
    figures = {
        "locate_p95_us": figure(
            p95,
            "us",
            baseline=floor_p95,
            target=50,
            lower_is_better=True,
            note="baseline: bare STRtree query p95 (the floor)",
        ),
        "locate_p50_us": figure(
            p50, "us", baseline=percentile(floor, 0.5), target=None, lower_is_better=True
        ),
        "locate_points_per_s": figure(
            len(ours) / (sum(ours) / 1e6),
            "pt/s",
            baseline=len(naive_t) / (sum(naive_t) / 1e6),
            target=None,
            lower_is_better=False,
            note="baseline: naive loop over a 1,000-grid sample",
        ),
        "naive_1000_p95_us": figure(
            naive_p95,
            "us",
            baseline=p95,
            target=None,
            lower_is_better=True,
            note="naive loop over 1,000 polygons; ratio = naive / locate at 100,000",
        ),
        "index_memory_mb": figure(
            index_mb,
            "MB",
            baseline=None,
            target=None,
            lower_is_better=True,
            note="RSS growth while building the index",
        ),
        "index_build_s": figure(build_s, "s", baseline=None, target=None, lower_is_better=True),
        "http_locate_rps": locate_http,
        "http_healthz_rps": health_http,
    }
    write_results("locate", figures, {"micro_grids": micro, "points": len(points)})
    print(json.dumps({"leaves": len(index)}))


if __name__ == "__main__":
    main()
