from django.utils.translation import gettext as _

from wangge.core.management.base import WanggeCommand
from wangge.registry import services as registry


class Command(WanggeCommand):
    help = "Re-encrypt personal data written with older keys (put the new key first in WANGGE_PII_KEYS)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--dry-run", action="store_true", help="only count the rows still on older keys")

    def handle(self, *args, **options):
        stale = registry.rows_on_old_keys()
        self.stdout.write(_("仍使用旧密钥的数据：%(n)s 项") % {"n": stale})
        if options["dry_run"] or not stale:
            return
        done = registry.rotate_keys(batch=options["batch"], progress=lambda n: self.stdout.write(f"… {n}"))
        self.stdout.write(_("已用新密钥重新加密 %(n)s 行") % {"n": done})
