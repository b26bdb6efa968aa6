import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from wangge.core import demo
from wangge.core.management.base import WanggeCommand
from wangge.grids.models import Grid


class Command(WanggeCommand):
    help = "Load the demo town (rural-town scene at Aoyang's size) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing if grids already exist")

    def handle(self, *args, **options):
        if Grid.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("演示数据已存在，跳过加载。"))
                return
            raise CommandError(_("数据库中已有网格：演示数据只能加载到空数据库（可用 --if-empty 跳过）"))
        started = time.monotonic()
        demo.load(stdout=self.stdout)
        self.stdout.write(_("演示镇已加载，用时 %(s).1f 秒。") % {"s": time.monotonic() - started})
