"""Every page each demo role's menu reaches, timed on the server (Django's test client in process: the
view, its queries and its template, no network), at the demo town's size (16,970 households, 57,000
people, 400 cases), beside the `/healthz` page in the same run.

For each role: its home, every place of its menu (the 我的 page lists them all), and the first record each
list links to. Each page is fetched five times after one warm-up; the figure is the p95 over the role's
pages of their median times. Target: p95 under 300 ms.
"""

from __future__ import annotations

import re
import statistics
import time

from bench.common import figure, percentile, setup_django, write_results

TARGET_MS = 300.0
RUNS = 5
LINK = re.compile(r'<a[^>]+href="(/[^"#?]*)(?:\?[^"]*)?"')


def median_ms(client, url: str, runs: int = RUNS) -> tuple[float, int]:
    client.get(url)  # warm-up: the first request of a page builds its caches
    times, status = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        status = client.get(url).status_code
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), status


def places_of(client) -> list[str]:
    """The role's home and its menu's places (the 我的 page lists them all)."""
    me = client.get("/me/").content.decode()
    block = me.split('id="all-places"', 1)[1].split("</nav>", 1)[0]
    return ["/", *dict.fromkeys(u for u in LINK.findall(block) if not u.startswith("/api/"))]


def _pages_of(client) -> list[str]:
    """The role's home, its menu's places and the first record each list links to."""
    places = places_of(client)
    pages = list(places)
    for url in places:
        html = client.get(url).content.decode()
        main = html.split("<main", 1)[-1]
        table = main.split("<table", 1)[1].split("</table>", 1)[0] if "<table" in main else ""
        first = next((u for u in LINK.findall(table) if u not in pages and "/export" not in u), None)
        if first:
            pages.append(first)
    return pages


def time_roles(pages_of, *, runs: int = RUNS, name: str = "pages") -> dict[str, dict]:
    """Logged in as each demo role, the pages `pages_of(client)` names, each the median of `runs`, beside
    `/healthz` in the same run: `{name}_p95_{role}` and `{name}_p95_all`. A page that fails stops it."""
    from django.conf import settings
    from django.test import Client

    from wangge.accounts import demo as accounts_demo
    from wangge.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    health_ms, _status = median_ms(Client(), "/healthz", runs)
    figures, failures = {}, []
    everything: list[float] = []
    for role in [login.username for login in accounts_demo.logins()]:  # every demo login
        client = Client()
        client.force_login(User.objects.get(username=role))
        rows = []
        for url in pages_of(client):
            ms, status = median_ms(client, url, runs)
            if status >= 400:
                failures.append(f"{role} {url}: {status}")
            rows.append((ms, url))
        times = [ms for ms, _u in rows]
        everything += times
        p95, (slowest_ms, slowest) = percentile(times, 0.95), max(rows)
        print(f"{role}: {len(rows)} pages, p50 {percentile(times, 0.5):.0f} ms, p95 {p95:.0f} ms; "
              f"slowest {slowest} {slowest_ms:.0f} ms", flush=True)  # fmt: skip
        figures[f"{name}_p95_{role}"] = figure(
            p95,
            "ms",
            baseline=health_ms,
            target=TARGET_MS,
            lower_is_better=True,
            note=f"{len(rows)} pages of the role's menu; slowest {slowest} {slowest_ms:.0f} ms",
        )
    figures[f"{name}_p95_all"] = figure(
        percentile(everything, 0.95),
        "ms",
        baseline=health_ms,
        target=TARGET_MS,
        lower_is_better=True,
        note=f"{len(everything)} pages over every role; baseline: /healthz",
    )
    assert not failures, failures
    return figures


def run() -> None:
    setup_django("pages")
    from wangge.core import demo

    demo.load()
    figures = time_roles(_pages_of)
    write_results("pages", figures, {"runs_per_page": RUNS, "size": "the demo town"})


def main() -> None:
    run()
