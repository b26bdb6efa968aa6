"""Locate a point among 100,000 micro-grids (county-sized area), one point at a time as a request would.

Figures: p50/p95 latency and points/s through grids.services.locate, beside a naive loop over all
polygons of a 1,000-grid sample (ratio) and a bare shapely STRtree query (the floor); memory held by
the index; the HTTP locate endpoint's requests/s beside /healthz on the same server (same run), served by
gunicorn with the point index built once in the master (`wangge.gunicorn_conf`) beside each worker building
its own: cold start, requests/s and each worker's memory. Warm-up runs until every worker has answered.

Where DATABASE_URL names a PostgreSQL server with PostGIS installed, the same tree is built in a database
of the bench's own and 2,000 points are located in the database (`grids/postgis.py`: a GiST index on the
boundaries) beside the in-process index in the same process, each answer compared. `python -m bench.locate
--postgis` runs that part alone and adds its figures to bench/results/locate.json.
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
from pathlib import Path

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


def http_figures(points: list[tuple[float, float]]) -> dict[str, dict]:
    """The locate endpoint served by gunicorn twice on this machine: each worker building its own index on
    its first locate (no preload), then with the project's settings (`wangge.gunicorn_conf`: built once in
    the master before it listens and forks). Each: time to listen and from listening to the first answer,
    every worker warmed (until each has answered a locate, by gunicorn's access log), requests/s, and each
    worker's own memory (unique set size, and its proportional share of what it shares)."""
    workers = os.cpu_count() or 2
    own = _serve(points, preload=False, workers=workers)
    shared = _serve(points, preload=True, workers=workers)
    client = shared["client"]
    note = f"gunicorn gthread, {workers} workers x 4 threads; load by {client} on the same 2-core machine"
    return {
        "http_locate_rps": figure(
            shared["rps"],
            "req/s",
            baseline=shared["health_rps"],
            target=1000,
            lower_is_better=False,
            note=f"{note}; the index built in the master (preload); baseline: /healthz, no database",
        ),
        "http_locate_rps_own_index": figure(
            own["rps"],
            "req/s",
            baseline=shared["rps"],
            target=None,
            lower_is_better=False,
            note="the same with each worker building its own index (warmed first); ratio: own / preloaded",
        ),
        "http_healthz_rps": figure(
            shared["health_rps"],
            "req/s",
            baseline=None,
            target=None,
            lower_is_better=False,
            note="/healthz, no database",
        ),
        "first_locate_after_listening_s": figure(
            shared["first_s"],
            "s",
            baseline=own["first_s"],
            target=1.0,
            lower_is_better=True,
            note="from the socket listening to the first locate answered (preloaded); baseline: each worker "
            "builds its own index on its first locate",
        ),
        "server_start_s": figure(
            shared["listen_s"],
            "s",
            baseline=own["listen_s"],
            target=None,
            lower_is_better=True,
            note="from starting gunicorn to its socket listening (preloaded: the index is built before); "
            "baseline: without preload",
        ),
        "worker_unique_mb": figure(
            shared["uss_mb"],
            "MB",
            baseline=own["uss_mb"],
            target=None,
            lower_is_better=True,
            note="memory of each extra worker that no other process shares (USS, mean over the workers, "
            "after warming and the load); baseline: each worker with its own index",
        ),
        "worker_proportional_mb": figure(
            shared["pss_mb"],
            "MB",
            baseline=own["pss_mb"],
            target=None,
            lower_is_better=True,
            note="each worker's proportional set size (its own pages plus its share of the shared ones)",
        ),
    }


def _serve(points: list[tuple[float, float]], *, preload: bool, workers: int) -> dict:
    import tempfile

    port = _free_port()
    env = {
        **os.environ,
        "WANGGE_DEBUG": "0",
        "WANGGE_SECRET_KEY": "bench-only",
        "WANGGE_ALLOWED_HOSTS": "127.0.0.1",
        "WANGGE_LOG_LEVEL": "ERROR",
        "WANGGE_WORKERS": str(workers),
    }
    access = Path(tempfile.mkdtemp()) / "access.log"
    settings = (
        ["-c", "python:wangge.gunicorn_conf"]
        if preload
        else [
            "-w",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "5",
        ]
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *settings,
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "error",
        "--access-logfile",
        str(access),
        "--access-logformat",
        "%(p)s %(s)s %(U)s",
        "wangge.wsgi:application",
    ]
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        _wait_for(port)
        listening = time.perf_counter()
        lon, lat = points[0]
        locate_url = f"http://127.0.0.1:{port}/api/locate?lon={lon:.6f}&lat={lat:.6f}"
        _get(locate_url)
        first = time.perf_counter()
        pids = _worker_pids(server.pid, workers)
        answered: set[str] = set()
        for i in range(10_000):  # fresh connections until every worker has answered a locate
            x, y = points[i % len(points)]
            _get(f"http://127.0.0.1:{port}/api/locate?lon={x:.6f}&lat={y:.6f}")
            answered = {
                line.split()[0].strip("<>")
                for line in access.read_text().splitlines()
                if "/api/locate" in line
            }
            if pids <= answered:
                break
        assert pids <= answered, f"workers {pids - answered} never answered"
        client = "wrk" if shutil.which("wrk") else "python"
        health = _load(f"http://127.0.0.1:{port}/healthz", 10) if preload else None
        rps = _load(locate_url, 10)
        uss, pss = zip(*(_memory(pid) for pid in pids), strict=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    mode = "preloaded" if preload else "own index"
    print(
        f"  gunicorn ({mode}): listening after {listening - started:.1f} s, first locate "
        f"{first - listening:.2f} s later; {rps:.0f} req/s; {sum(uss) / len(uss):.0f} MB unique a worker",
        flush=True,
    )
    return {
        "listen_s": listening - started,
        "first_s": first - listening,
        "rps": rps,
        "health_rps": health,
        "uss_mb": sum(uss) / len(uss),
        "pss_mb": sum(pss) / len(pss),
        "client": client,
    }


def _get(url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(url, timeout=120) as r:  # a worker's first locate builds its index
        assert r.status == 200, r.status
        r.read()


def _worker_pids(master: int, workers: int) -> set[str]:
    """gunicorn's worker processes: the master's children (all of them forked by now)."""
    for _ in range(200):
        children = set()
        for task in Path(f"/proc/{master}/task").iterdir():
            children.update((task / "children").read_text().split())
        if len(children) >= workers:
            return children
        time.sleep(0.05)
    raise RuntimeError("gunicorn's workers did not start")


def _memory(pid: str) -> tuple[float, float]:
    """(USS, PSS) of a process in MB, from the kernel's smaps_rollup."""
    kb = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_unit = line.split()
        kb[name.rstrip(":")] = int(value)
    return (kb["Private_Clean"] + kb["Private_Dirty"]) / 1024, kb["Pss"] / 1024


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


def postgis_figures() -> dict[str, dict]:
    """The database's locate beside the in-process index's, in a process of its own on PostgreSQL."""
    from bench.common import bench_postgres_url

    url = bench_postgres_url()
    if url is None:
        print("PostGIS locate: no DATABASE_URL (PostgreSQL), not measured", flush=True)
        return {}
    out = subprocess.run(
        [sys.executable, "-m", "bench.locate", "--postgis-in", url],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgis_in(url: str) -> dict[str, dict]:
    setup_django("locate", database_url=url)
    from wangge.grids import postgis
    from wangge.grids import services as grids

    if not postgis.available():
        print("PostGIS locate: the extension is not installed on this server, not measured", flush=True)
        return {}
    rng = random.Random(7)
    micro, (w, s, e, n) = build_tree(rng)
    postgis.install()
    points = [(rng.uniform(w, e), rng.uniform(s, n)) for _ in range(2000)]
    grids.locate(*points[0])  # the in-process index built
    for lon, lat in points[:200]:  # the same answers
        hit, found = grids.locate(lon, lat), postgis.locate(lon, lat)
        assert (found.pk if found else None) == (hit.leaf.id if hit else None), (lon, lat)
    in_db = time_calls(postgis.locate, points)
    in_process = time_calls(grids.locate, points)
    note = f"{len(points):,} points among {micro:,} micro-grids"
    return {
        "postgis_locate_p95_us": figure(
            percentile(in_db, 0.95),
            "us",
            baseline=percentile(in_process, 0.95),
            target=None,
            lower_is_better=True,
            note=f"grids.postgis.locate (a query on the boundaries' GiST index), {note}; baseline: the "
            "in-process index's p95 in the same process",
        ),
        "postgis_locate_p50_us": figure(
            percentile(in_db, 0.5),
            "us",
            baseline=percentile(in_process, 0.5),
            target=None,
            lower_is_better=True,
            note="the same, medians",
        ),
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--postgis-in":
        print(json.dumps(postgis_in(sys.argv[2])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--postgis":
        kept = json.loads((ROOT / "bench" / "results" / "locate.json").read_text())
        figures = {**kept.pop("figures"), **postgis_figures()}
        write_results(
            "locate", figures, {k: v for k, v in kept.items() if k not in ("benchmark", "python", "when")}
        )
        return
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
    served = http_figures(points)
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
        **served,
        **postgis_figures(),
    }
    write_results("locate", figures, {"micro_grids": micro, "points": len(points)})
    print(json.dumps({"leaves": len(index)}))


if __name__ == "__main__":
    main()
