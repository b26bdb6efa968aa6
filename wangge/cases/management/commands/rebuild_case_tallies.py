"""Recount the daily tallies of every day from the cases and their events (after a bulk load, a restore,
or to check them: the rows come out the same)."""

import time

from django.core.management.base import BaseCommand

from wangge.cases import tallies


class Command(BaseCommand):
    help = "重新计算事件日汇总（按日、网格、类别的各项指标）"

    def handle(self, *args, **options):
        t0 = time.perf_counter()
        days, rows = tallies.rebuild()
        self.stdout.write(f"日汇总已重算：{days} 天，{rows} 行，用时 {time.perf_counter() - t0:.1f} 秒")
