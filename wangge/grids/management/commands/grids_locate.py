import json

from django.core.management.base import CommandError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from wangge.core.management.base import WanggeCommand
from wangge.grids import services as grids
from wangge.grids.coords import CRS_CHOICES


class Command(WanggeCommand):
    help = "Print the leaf grid containing a point, and its chain up to the root, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("lon", type=float)
        parser.add_argument("lat", type=float)
        parser.add_argument("--crs", choices=CRS_CHOICES, default="wgs84")
        parser.add_argument("--on", help="YYYY-MM-DD: locate in the tree as it was on that day")

    def handle(self, *args, **options):
        on = None
        if options["on"]:
            on = parse_date(options["on"])
            if on is None:
                raise CommandError(_("日期格式应为 YYYY-MM-DD"))
        answer = grids.locate_answer(options["lon"], options["lat"], crs=options["crs"], on=on)
        self.stdout.write(json.dumps(answer.__dict__, ensure_ascii=False, indent=2))
        if not answer.found:
            raise CommandError(answer.message)
