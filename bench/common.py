"""Shared by the benchmarks: a private database, timing helpers, the results file."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup_django(name: str, *, database_url: str | None = None) -> None:
    """Point Django at a database of the benchmark's own (never the user's), then migrate it."""
    os.environ["WANGGE_DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    if database_url:
        os.environ["WANGGE_DATABASE_URL"] = database_url
    else:
        os.environ.pop("WANGGE_DATABASE_URL", None)
        os.environ.pop("DATABASE_URL", None)
        var = ROOT / "var" / "bench" / name
        var.mkdir(parents=True, exist_ok=True)
        for f in var.glob("wangge.sqlite3*"):
            f.unlink()
        os.environ["WANGGE_VAR_DIR"] = str(var)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_postgres_url() -> str | None:
    """A fresh `<db>_bench` database beside the one DATABASE_URL names, or None without DATABASE_URL."""
    url = os.environ.get("WANGGE_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    base, _, dbname = url.rpartition("/")
    bench_db = f"{dbname.split('?')[0]}_bench"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        conn.execute(f'CREATE DATABASE "{bench_db}"')
    return f"{base}/{bench_db}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def time_calls(fn, args_list, *, repeat: int = 1) -> list[float]:
    """Per-call latency in microseconds."""
    out = []
    perf = time.perf_counter_ns
    for _ in range(repeat):
        for args in args_list:
            t0 = perf()
            fn(*args)
            out.append((perf() - t0) / 1000)
    return out


def median_time(fn, n: int = 7) -> float:
    """Median wall time of fn() in milliseconds over n runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def figure(
    value: float,
    unit: str,
    *,
    baseline: float | None,
    target: float | None,
    lower_is_better: bool,
    note: str = "",
) -> dict[str, Any]:
    ratio = (value / baseline) if baseline else None
    if target is None:
        met = None
    else:
        met = value <= target if lower_is_better else value >= target
    return {
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "met": met,
        "note": note,
    }


def write_results(name: str, figures: dict[str, dict], meta: dict | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "python": sys.version.split()[0],
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **(meta or {}),
        "figures": figures,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    print_table(figures)
    print(f"-> {path.relative_to(ROOT)}")
    return path


def print_table(figures: dict[str, dict]) -> None:
    print(f"{'figure':<34}{'value':>14}{'baseline':>14}{'ratio':>9}{'target':>12}  met")
    for key, f in figures.items():
        base = "" if f["baseline"] is None else f"{f['baseline']:.3f}"
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.2f}"
        target = "" if f["target"] is None else str(f["target"])
        met = {True: "yes", False: "NO", None: ""}[f["met"]]
        print(f"{key:<34}{f['value']:>12.3f} {f['unit']:<2}{base:>13}{ratio:>9}{target:>12}  {met}")


def run_per_database(name: str, module: str, run_one, meta: dict) -> None:
    """Run a benchmark on SQLite and (with DATABASE_URL) PostgreSQL, each in its own process (Django is
    set up once per process), then merge the figures into bench/results/NAME.json.

    The module's own `python -m MODULE --one TARGET` calls `run_one(database_url)`, which returns its figures.
    """
    import json
    import subprocess

    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        figures = run_one(None if sys.argv[2] == "sqlite" else sys.argv[2])
        vendor = "sqlite" if sys.argv[2] == "sqlite" else "postgresql"
        (RESULTS / f"{name}.{vendor}.part.json").write_text(json.dumps(figures))
        return
    targets = ["sqlite"]
    pg = bench_postgres_url()
    if pg:
        targets.append(pg)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for t in targets:
        subprocess.run([sys.executable, "-m", module, "--one", t], check=True, cwd=ROOT, env={**os.environ})
    figures: dict[str, dict] = {}
    for part in sorted(RESULTS.glob(f"{name}.*.part.json")):
        figures.update(json.loads(part.read_text()))
        part.unlink()
    write_results(name, figures, {**meta, "postgresql": bool(pg)})


def collect_static(env: dict) -> None:
    """A production server (WANGGE_DEBUG off) serves the collected files by their hashed names: collect
    them first, as docs/deploy.md says."""
    import subprocess

    wangge = str(Path(sys.executable).parent / "wangge")
    command = [wangge, "manage", "collectstatic", "--no-input", "-v", "0"]
    subprocess.run(command, env=env, cwd=ROOT, check=True)
