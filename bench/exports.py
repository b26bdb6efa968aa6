"""The town's two biggest exports, as a user downloads them (the view, its queries, decrypting, masking,
the workbook), at the demo town's size: the persons list (57,000 people) for the town centre and the
visit records (the last 90 days). Beside each, in the same run, the floor: XlsxWriter in constant-memory
mode writing the same rows (read back from the export) with nothing else to do. Target: within 2x of it.
"""

from __future__ import annotations

import io
import time

from bench.common import figure, setup_django, write_results

TARGET_RATIO = 2.0
EXPORTS = {"persons": "/registry/persons/?format=xlsx", "visits": "/fieldwork/visits/?format=xlsx"}


def _floor(header: list, rows: list) -> float:
    import xlsxwriter

    t0 = time.perf_counter()
    book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    book.close()
    return time.perf_counter() - t0


def run() -> None:
    setup_django("exports")
    from django.conf import settings
    from django.test import Client

    from wangge.accounts.models import User
    from wangge.core import demo
    from wangge.core.excel import read_rows

    settings.ALLOWED_HOSTS = ["*"]
    demo.load()
    client = Client()
    client.force_login(User.objects.get(username="centre"))
    figures = {}
    for name, url in EXPORTS.items():
        client.get(url)  # warm-up
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            answer = client.get(url)
            best = min(best, time.perf_counter() - t0)
        header, rows = read_rows(answer.content)
        floor = min(_floor(header, rows) for _ in range(3))
        cells = len(rows) * len(header)
        print(f"{name}: {len(rows)} rows × {len(header)} columns: {best:.2f} s, floor {floor:.2f} s")
        figures[f"export_{name}"] = figure(
            best / floor, "x", baseline=None, target=TARGET_RATIO, lower_is_better=True,
            note=f"{len(rows)} rows, {cells} cells: {best:.2f} s, XlsxWriter alone {floor:.2f} s (best of 3)",
        )  # fmt: skip
        figures[f"export_{name}_seconds"] = figure(
            best, "s", baseline=floor, target=None, lower_is_better=True
        )
    write_results("exports", figures, {"size": "the demo town"})


def main() -> None:
    run()
