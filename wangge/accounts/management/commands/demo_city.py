"""`wangge demo city`: generate a city at a chosen size on PostgreSQL, through each module's bulk path."""

import time

from django.core.management.base import CommandError
from django.db import connection

from wangge.core import demo
from wangge.core.management.base import WanggeCommand
from wangge.grids.models import Grid


class Command(WanggeCommand):
    help = (
        "Generate a city (the city scene's six levels of grids, residents, a year of cases) into an empty "
        "PostgreSQL database."
    )

    def add_arguments(self, parser):
        size = demo.CitySize()
        parser.add_argument("--districts", type=int, default=size.districts)
        parser.add_argument("--micro-grids", type=int, default=size.micro_grids)
        parser.add_argument("--persons", type=int, default=size.persons)
        parser.add_argument("--days", type=int, default=size.days, help="days of cases")
        parser.add_argument("--cases-per-day", type=int, default=size.cases_per_day)
        parser.add_argument(
            "--seed-cases",
            type=int,
            default=size.seed_cases,
            help="cases taken in and handled through the services; the history copies them",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("城市规模的演示数据需要 PostgreSQL：请设置 WANGGE_DATABASE_URL")
        if Grid.objects.exists():
            raise CommandError("数据库中已有网格：城市演示数据只能生成到空数据库")
        size = demo.CitySize(
            districts=options["districts"],
            micro_grids=options["micro_grids"],
            persons=options["persons"],
            days=options["days"],
            cases_per_day=options["cases_per_day"],
            seed_cases=options["seed_cases"],
        )
        started = time.monotonic()
        demo.load_city(size, stdout=self.stdout)
        self.stdout.write(f"城市已生成，用时 {time.monotonic() - started:.0f} 秒。")
