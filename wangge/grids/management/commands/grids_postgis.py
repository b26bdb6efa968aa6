from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from wangge.core.management.base import WanggeCommand
from wangge.grids import postgis


class Command(WanggeCommand):
    help = (
        "Locating in the database (PostGIS): --install creates the extension and the boundaries' GiST index "
        "(once, as a user allowed to create extensions); LON LAT locates a point with it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--install", action="store_true")
        parser.add_argument("lon", nargs="?", type=float)
        parser.add_argument("lat", nargs="?", type=float)

    def handle(self, *args, **options):
        if not postgis.available():
            raise CommandError(_("数据库不是安装了 PostGIS 的 PostgreSQL，无法在数据库中定位"))
        if options["install"]:
            postgis.install()
            self.stdout.write(_("已创建 PostGIS 扩展和网格边界的空间索引"))
        if options["lon"] is not None and options["lat"] is not None:
            grid = postgis.locate(options["lon"], options["lat"])
            self.stdout.write(f"{grid.code} {grid.name}" if grid else _("该位置不在任何网格内"))
