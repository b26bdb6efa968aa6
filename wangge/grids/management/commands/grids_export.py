import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from wangge.core.management.base import WanggeCommand
from wangge.grids import importing
from wangge.grids import services as grids
from wangge.grids.models import Grid


class Command(WanggeCommand):
    help = "Export a grid and its subtree to GeoJSON (.geojson/.json) or Excel (.xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("path")

    def handle(self, *args, **options):
        try:
            grid = grids.get_by_code(options["code"])
        except Grid.DoesNotExist as exc:
            raise CommandError(_("找不到编码为 %(code)s 的网格") % {"code": options["code"]}) from exc
        path = Path(options["path"])
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            data = importing.export_xlsx(grid)
        elif suffix in (".geojson", ".json"):
            data = json.dumps(grids.subtree_geojson(grid), ensure_ascii=False, indent=1).encode()
        else:
            raise CommandError(_("文件扩展名应为 .geojson、.json 或 .xlsx"))
        path.write_bytes(data)
        count = grids.subtree(grid).count()
        self.stdout.write(_("已导出 %(n)s 个网格到 %(path)s") % {"n": count, "path": path})
