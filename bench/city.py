"""A city, generated and measured on PostgreSQL with a streaming replica in use.

A primary and its replica of the bench's own (testkit.cluster: initdb, pg_basebackup, fsync on, in a
folder under /tmp), `wangge demo city` into the primary at the size BENCH_CITY_* gives (defaults: 20
districts, 200,000 micro-grids, 2,000,000 persons, BENCH_CITY_DAYS days at 60,000 cases a day), its time
taken. Then, in a process with WANGGE_REPLICA_URL set, on the server side (Django's test client: the view,
its queries, its template), each p95 of RUNS beside its floor in the same run:

- the grid worker's home page, the case queue of their grid, a case's page, the district's figures (as
  its leader) and the command screen (as the city's leader), beside `/healthz`;
- a person search by ID number (`registry.find_by_id_number`), beside the bare indexed read it makes;
- the emergency area query over a district's corner, beside a bare count of the micro-grids it touches;
  and the whole search (`command.find_in_area`: every vulnerable person in a 1.5 km circle, masked,
  audited) as the district's leader, beside a bare count of the people registered in the grids it touches;
- intake through `cases.report` (cases/s) beside bare inserts of the same row;
- the deadline sweep over the open cases, beside a bare count of the cases it looks at.

A city holds about five days of its cases open (300,000 at 60,000 a day), while the generated history is
closed: before measuring, the most recent closed cases are set open (in hand, a tenth reported, a seventh
overdue) until OPEN_CASES are, which is what the screens' and the queues' open counts read.

Targets: every page p95 under 300 ms, the figures under 500 ms.

Last, the backup is tried as docs/deploy.md says to take it: `pg_basebackup` of the running primary
(compressed tar, its WAL with it) beside a bare compressed read of the same data folder; then restored into
a new folder and started on a port of its own, timed until it answers with the primary's counts, beside
unpacking the archive alone. BENCH_CITY_KEEP=1 leaves the cluster's folder (its path printed) for a
second look: `python -m bench.city --again FOLDER PRIMARY_PORT REPLICA_PORT [GENERATED_S]` migrates it and
measures again (the generation's time as given, or kept from the results before; the same BENCH_CITY_*);
`--restore FOLDER PORT` tries the backup alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, figure, percentile, write_results

RUNS = 20
PAGE_MS, FIGURES_MS = 300.0, 500.0
OPEN_CASES = int(os.environ.get("BENCH_CITY_OPEN_CASES", 300_000))


def size_args() -> list[str]:
    env = os.environ.get
    return [
        "--districts",
        env("BENCH_CITY_DISTRICTS", "20"),
        "--micro-grids",
        env("BENCH_CITY_MICRO_GRIDS", "200000"),
        "--persons",
        env("BENCH_CITY_PERSONS", "2000000"),
        "--days",
        env("BENCH_CITY_DAYS", "30"),
        "--cases-per-day",
        env("BENCH_CITY_CASES_PER_DAY", "60000"),
        "--seed-cases",
        env("BENCH_CITY_SEED_CASES", "3000"),
    ]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure()))
        return
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    os.environ.setdefault("WANGGE_DEBUG", "1")
    django.setup()  # testkit's package imports models (this process touches no database)
    if len(sys.argv) > 4 and sys.argv[1] == "--again":
        generated = float(sys.argv[5]) if len(sys.argv) > 5 else None
        again(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), generated)
        return
    if len(sys.argv) > 3 and sys.argv[1] == "--restore":
        from testkit.cluster import bindir

        found = bindir()
        assert found is not None
        tried = try_restore(found, Path(sys.argv[2]), int(sys.argv[3]))
        kept = json.loads((ROOT / "bench" / "results" / "city.json").read_text())
        figures = {**kept.pop("figures"), **tried}
        write_results(
            "city", figures, {k: v for k, v in kept.items() if k not in ("benchmark", "python", "when")}
        )
        return
    from testkit.cluster import Cluster, bindir

    found = bindir()
    if found is None:
        raise SystemExit("PostgreSQL's server binaries (pg_config, initdb) are needed")
    cluster = Cluster(found, durable=True, settings=("shared_buffers = 1GB", "max_connections = 50"))
    print(
        f"cluster in {cluster.dir}: primary :{cluster.primary_port}, replica :{cluster.replica_port}",
        flush=True,
    )
    env = _env(cluster.url(cluster.primary_port))
    try:
        subprocess.run([WANGGE, "manage", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
        t0 = time.perf_counter()
        subprocess.run([WANGGE, "demo", "city", *size_args()], env=env, cwd=ROOT, check=True)
        generated_s = time.perf_counter() - t0
        result = _measured(env, cluster.url(cluster.replica_port))
        result["figures"].update(try_restore(found, cluster.dir, cluster.primary_port))
    finally:
        if os.environ.get("BENCH_CITY_KEEP"):
            print(f"kept: {cluster.dir}", flush=True)
        else:
            cluster.stop()
    figures = result.pop("figures")
    figures["generate_s"] = _generated(generated_s)
    write_results("city", figures, {**result, "size": " ".join(size_args())})


WANGGE = str(Path(sys.executable).parent / "wangge")


def _generated(seconds: float) -> dict:
    return figure(
        seconds,
        "s",
        baseline=None,
        target=None,
        lower_is_better=True,
        note="`wangge demo city` at this size, fsync on, the replica streaming",
    )


def _env(primary_url: str) -> dict:
    """The environment of the city's commands: its primary, debug settings, the test client's host."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "WANGGE_DATABASE_URL": primary_url,
        "WANGGE_DEBUG": "1",
        "WANGGE_VAR_DIR": str(ROOT / "var" / "bench" / "city"),
        "DJANGO_SETTINGS_MODULE": "wangge.settings",
        "WANGGE_ALLOWED_HOSTS": "testserver",
    }


def _measured(env: dict, replica_url: str) -> dict:
    """`measure()` in a process of its own, with the replica in use."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.city", "--measure"],
        env={**env, "WANGGE_REPLICA_URL": replica_url},
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def again(folder: Path, primary_port: int, replica_port: int, generated_s: float | None = None) -> None:
    """Measure a kept city again (after a change): migrate it, measure, try the backup; the generation's
    time is the one given (as its run printed it), or the last results' (the size: BENCH_CITY_*)."""
    from testkit.cluster import bindir

    found = bindir()
    assert found is not None
    env = _env(f"postgres://postgres@127.0.0.1:{primary_port}/wangge")
    subprocess.run([WANGGE, "manage", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    result = _measured(env, f"postgres://postgres@127.0.0.1:{replica_port}/wangge")
    figures = result.pop("figures")
    figures.update(try_restore(found, folder, primary_port))
    if generated_s is None:
        kept = json.loads((ROOT / "bench" / "results" / "city.json").read_text())
        figures["generate_s"] = kept["figures"]["generate_s"]
    else:
        figures["generate_s"] = _generated(generated_s)
    write_results("city", figures, {**result, "size": " ".join(size_args())})


def try_restore(bin_dir: Path, folder: Path, port: int) -> dict:
    """Back the running primary up (pg_basebackup: compressed tar with its WAL) and restore it into a new
    folder on a port of its own; figures for both, the restored server checked against the primary."""
    import shutil

    import psycopg

    from testkit.cluster import as_postgres, free_port

    def run(*command: str) -> None:
        subprocess.run(as_postgres(list(command)), check=True, capture_output=True)

    def counts(p: int) -> tuple:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{p}/wangge") as conn:
            return tuple(
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
                for table in ("cases_case", "cases_caseevent", "registry_person", "grids_grid")
            )

    backup, restored = folder / "backup", folder / "restored"
    for d in (backup, restored):
        shutil.rmtree(d, ignore_errors=True)
    expected = counts(port)
    t0 = time.perf_counter()
    run(
        str(bin_dir / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-D",
        str(backup),
        "-Ft",
        "--compress=zstd",
        "-X",
        "fetch",
        "-c",
        "fast",
    )
    backup_s = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in backup.iterdir())
    t0 = time.perf_counter()  # the floor: the same data folder read and compressed, nothing else
    subprocess.run(f"tar -cf - -C {folder} primary | zstd -q -c > /dev/null", shell=True, check=True)
    bare_backup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    run("mkdir", "-m", "700", str(restored))
    run("tar", "--zstd", "-xf", str(backup / "base.tar.zst"), "-C", str(restored))
    unpacked_s = time.perf_counter() - t0
    restored_port = free_port()
    with open(restored / "postgresql.conf", "a") as conf:
        conf.write(f"port = {restored_port}\nunix_socket_directories = '{folder}'\n")
    run(str(bin_dir / "pg_ctl"), "-D", str(restored), "-l", str(folder / "restored.log"), "-w", "start")
    try:
        got = counts(restored_port)
        restore_s = time.perf_counter() - t0
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(restored), "-m", "fast", "stop")
        shutil.rmtree(restored, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)
    assert got == expected, (got, expected)
    what = f"cases, events, persons, grids {', '.join(f'{n:,}' for n in got)}"
    return {
        "backup_s": figure(
            backup_s,
            "s",
            baseline=bare_backup_s,
            target=None,
            lower_is_better=True,
            note=f"pg_basebackup of the running primary, zstd tar with its WAL: {size / 2**30:.2f} GiB; "
            "baseline: the data folder read and compressed by tar | zstd",
        ),
        "restore_s": figure(
            restore_s,
            "s",
            baseline=unpacked_s,
            target=None,
            lower_is_better=True,
            note=f"the backup unpacked into a new folder, started, and answering with the primary's counts "
            f"({what}); baseline: unpacking alone",
        ),
    }


def _open_as_a_city_holds(Case) -> None:
    """The most recent closed cases set open until OPEN_CASES are (see the module's text)."""
    from django.db import connection, connections

    wanted = OPEN_CASES - Case.objects.filter(still_open=True).count()
    if wanted <= 0:
        return
    recent = Case.objects.filter(status="closed").order_by("-pk").values("pk")
    Case.objects.filter(pk__in=recent[:wanted]).update(
        status="dispatched", closed_at=None, outcome="", rating="", rating_comment=""
    )
    now_open = Case.objects.filter(still_open=True)
    now_open.filter(pk__in=now_open.order_by("pk").values("pk")[: OPEN_CASES // 10]).update(status="reported")
    now_open.filter(pk__in=now_open.order_by("-pk").values("pk")[: OPEN_CASES // 7]).update(overdue=True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases_case")
        cur.execute("SELECT pg_current_wal_lsn()")
        lsn = cur.fetchone()[0]  # type: ignore[index]
    with connections["replica"].cursor() as cur:  # the replica caught up before anything is timed
        for _ in range(600):
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cur.fetchone()[0]:  # type: ignore[index]
                break
            time.sleep(0.1)


def _p95(fn, runs: int = RUNS) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 0.95)


def measure() -> dict:
    import django

    django.setup()
    import shapely
    from django.db import connection, connections
    from django.test import Client
    from django.utils import timezone

    from wangge.accounts.models import User
    from wangge.cases import services as cases
    from wangge.cases.models import Case
    from wangge.grids.models import Grid
    from wangge.registry import services as registry
    from wangge.registry.models import Person

    assert "replica" in connections.databases, "the measurement runs with the replica in use"
    _open_as_a_city_holds(Case)
    counts = {
        "grids": Grid.objects.count(),
        "persons": Person.objects.count(),
        "cases": Case.objects.count(),
        "micro_grids": Grid.objects.filter(depth=6).count(),
        "open_cases": Case.objects.filter(still_open=True).count(),
    }
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counts["database_size"] = cur.fetchone()[0]

    def client_of(username: str) -> Client:
        c = Client()
        c.force_login(User.objects.get(username=username))
        return c

    worker = User.objects.filter(username__startswith="worker").order_by("username").first()
    assert worker is not None
    mine, district_leader, leader = (
        client_of(worker.username),
        client_of("district1"),
        client_of("city-leader"),
    )
    district = Grid.objects.filter(depth=2).order_by("path").first()
    assert district is not None
    some_case = Case.objects.filter(grid__path__startswith=district.path).order_by("-id").first()
    assert some_case is not None
    health = _p95(lambda: Client().get("/healthz"))

    def page(client: Client, url: str) -> float:
        def get() -> None:
            status = client.get(url).status_code
            assert status == 200, (url, status)

        return _p95(get)

    pages = {
        "worker_home": page(mine, "/"),
        "worker_queue": page(mine, "/cases/?tab=all"),
        "case_page": page(client_of("city-centre"), f"/cases/{some_case.code}/"),
        "command_screen": page(leader, "/command/screen/"),
    }
    figures = {
        f"{name}_p95_ms": figure(
            ms,
            "ms",
            baseline=health,
            target=PAGE_MS,
            lower_is_better=True,
            note="server side, with the replica in use; baseline: /healthz",
        )
        for name, ms in pages.items()
    }
    figures["district_figures_p95_ms"] = figure(
        page(district_leader, f"/cases/figures/?grid={district.code}"),
        "ms",
        baseline=health,
        target=FIGURES_MS,
        lower_is_better=True,
        note=f"{district.name}'s figures as its leader; baseline: /healthz",
    )

    # a person by ID number, beside the bare indexed read the search makes
    person = Person.objects.order_by("-id").first()
    assert person is not None
    number = person.id_number
    centre = User.objects.get(username="city-centre")
    found = _p95(lambda: registry.find_by_id_number(number, centre))
    from wangge.core import crypto

    index = crypto.blind_index(number)
    bare = _p95(lambda: list(Person.objects.filter(id_index=index).values_list("pk", flat=True)))
    figures["id_search_p95_ms"] = figure(
        found,
        "ms",
        baseline=bare,
        target=PAGE_MS,
        lower_is_better=True,
        note="registry.find_by_id_number as the city's centre; baseline: the bare indexed read of the index",
    )

    # the emergency area: a circle of 1.5 km in the district, its micro-grids and the people in them
    from wangge.grids import services as grids

    centre_lon, centre_lat = district.center_lon, district.center_lat
    area = shapely.Point(centre_lon, centre_lat).buffer(0.015)
    touched = _p95(lambda: grids.leaves_touching(area))
    bare_touch = _p95(
        lambda: Grid.objects.filter(
            depth=6,
            center_lon__range=(centre_lon - 0.015, centre_lon + 0.015),
            center_lat__range=(centre_lat - 0.015, centre_lat + 0.015),
        ).count()
    )
    figures["emergency_area_p95_ms"] = figure(
        touched,
        "ms",
        baseline=bare_touch,
        target=PAGE_MS,
        lower_is_better=True,
        note="the micro-grids a 1.5 km circle touches (the in-process index); baseline: a bare box count",
    )

    # every vulnerable person in the circle, as the district's leader finds them, beside a bare count of
    # the people registered in the micro-grids it touches
    from wangge.command import services as command

    district_user = User.objects.get(username="district1")
    circle = command.area_from(district_user, lon=centre_lon, lat=centre_lat, radius_m=1500)
    searched: dict = {}

    def search() -> None:
        searched["found"] = command.find_in_area(district_user, circle)

    in_area = _p95(search, runs=5)
    leaf_ids = [located.leaf.id for located, _whole in grids.leaves_touching(circle.shape)]
    registered = Person.objects.filter(grid_id__in=leaf_ids)
    bare_people = _p95(lambda: registered.count(), runs=5)
    found = searched["found"]
    figures["emergency_people_p95_ms"] = figure(
        in_area,
        "ms",
        baseline=bare_people,
        target=PAGE_MS,
        lower_is_better=True,
        note=f"command.find_in_area, 1.5 km circle as the district's leader: {len(found.people):,} "
        f"vulnerable people found (+{len(found.unplaced):,} to check) among {registered.count():,} "
        f"registered in {len(leaf_ids):,} micro-grids; baseline: a bare count of those registered",
    )

    # intake through the service, beside bare inserts of the same rows
    leaves = list(Grid.objects.filter(depth=6).order_by("?").values_list("center_lon", "center_lat")[:200])
    t0 = time.perf_counter()
    for n, (lon, lat) in enumerate(leaves):
        cases.report(
            cases.ReportIn(
                category="exposed_garbage",
                description="垃圾未清运",
                lon=lon,
                lat=lat,
                channel="resident",
                client_id=f"bench-city-{time.time()}-{n}",
            )
        )
    intake = len(leaves) / (time.perf_counter() - t0)
    model = Case.objects.order_by("-id").first()
    assert model is not None
    t0 = time.perf_counter()
    for n in range(len(leaves)):
        model.pk, model.code, model.token = (
            None,
            f"X{time.time_ns() % 10**15}{n:03d}",
            f"XT{time.time_ns() % 10**15}{n:03d}",
        )
        model.client_id = None
        model.save(force_insert=True)
    bare_rate = len(leaves) / (time.perf_counter() - t0)
    figures["intake_cases_per_s"] = figure(
        intake,
        "cases/s",
        baseline=bare_rate,
        target=None,
        lower_is_better=False,
        note="cases.report one by one (locate, route, deadlines, events); baseline: bare ORM inserts",
    )

    # the deadline sweep over what is open
    t0 = time.perf_counter()
    cases.sweep(timezone.now())
    swept = (time.perf_counter() - t0) * 1000
    open_cases = Case.objects.exclude(status__in=["closed", "rejected"])
    bare_open = _p95(lambda: open_cases.count(), runs=5)
    figures["sweep_ms"] = figure(
        swept,
        "ms",
        baseline=bare_open,
        target=None,
        lower_is_better=True,
        note=f"cases.sweep over {open_cases.count():,} open cases; baseline: a bare count of them",
    )
    return {**counts, "figures": figures, "health_p95_ms": health}


if __name__ == "__main__":
    main()
