import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from wangge.core.management.base import WanggeCommand, validation_text
from wangge.grids import importing
from wangge.grids import services as grids
from wangge.grids.models import Grid, GridLevel


class Command(WanggeCommand):
    help = "Import a grid layer from GeoJSON or Excel: every row is checked first; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--parent", help="code of the parent grid for rows without a parent code")
        parser.add_argument("--level", help="level key of the imported grids (default: one below the parent)")
        parser.add_argument("--name-property", default="name")
        parser.add_argument("--code-property", default="code")
        parser.add_argument("--parent-code-property", default="parent_code")
        parser.add_argument("--dry-run", action="store_true", help="only check and list every problem")
        parser.add_argument("--repair", action="store_true", help="fix invalid boundaries with make_valid")
        parser.add_argument(
            "--accept-area-change",
            action="store_true",
            help="accept repairs that change an area by more than 1%% (checked against the source map)",
        )
        parser.add_argument(
            "--update", action="store_true", help="update the grids the file holds already (by code or name)"
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("找不到文件：%(path)s") % {"path": path})
        parent = None
        if options["parent"]:
            try:
                parent = grids.get_by_code(options["parent"])
            except Grid.DoesNotExist as exc:
                raise CommandError(_("找不到上级网格 %(code)s") % {"code": options["parent"]}) from exc
        level = None
        if options["level"]:
            level = GridLevel.objects.filter(key=options["level"]).first()
            if level is None:
                keys = ", ".join(GridLevel.objects.values_list("key", flat=True))
                raise CommandError(
                    _("未知的层级 %(key)s（可用：%(keys)s）") % {"key": options["level"], "keys": keys}
                )
        try:
            if path.suffix.lower() == ".xlsx":
                rows = importing.rows_from_xlsx(path.read_bytes())
            elif path.suffix.lower() in (".geojson", ".json"):
                try:
                    data = json.loads(path.read_text(encoding="utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise CommandError(_("文件不是有效的 GeoJSON：%(e)s") % {"e": exc}) from exc
                rows = importing.rows_from_geojson(
                    data,
                    name_property=options["name_property"],
                    code_property=options["code_property"] or None,
                    parent_code_property=options["parent_code_property"] or None,
                )
            else:
                raise CommandError(_("文件扩展名应为 .geojson、.json 或 .xlsx"))
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from exc
        report = importing.import_rows(
            rows,
            parent=parent,
            level=level,
            dry_run=options["dry_run"],
            repair=options["repair"],
            accept_area_change=options["accept_area_change"],
            update=options["update"],
        )
        for r in report.repairs:
            self.stdout.write(
                _("已修复 %(where)s：%(problems)s；面积 %(before)s → %(after)s 平方米")
                % {
                    "where": r["where"],
                    "problems": "；".join(r["problems"]),
                    "before": r["area_before_m2"],
                    "after": r["area_after_m2"],
                }
            )
        if report.problems:
            for p in report.problems:
                self.stderr.write(f"{p.where}：{p.message}")
            raise CommandError(_("发现 %(n)s 个问题，未导入任何网格") % {"n": len(report.problems)})
        if report.committed:
            self.stdout.write(
                _("已导入 %(n)s 个网格，更新 %(u)s 个") % {"n": len(report.created), "u": len(report.updated)}
            )
        else:
            self.stdout.write(
                _("试运行通过：%(n)s 个网格可以导入（去掉 --dry-run 正式导入）") % {"n": len(rows)}
            )
