"""Check that every points balance equals its ledger (credits less debits) and that the last closed
month's lines agree with it; exit 1 when one does not."""

from django.core.management.base import BaseCommand, CommandError

from wangge.engagement import services


class Command(BaseCommand):
    help = "核对积分：每个账户的余额应等于其流水之和，最近月结的月末余额应与流水一致"

    def handle(self, *args, **options):
        wrong = services.check_balances()
        for m in wrong:
            kind = m.account.get_kind_display()
            self.stdout.write(f"账户 {m.account.pk}（{kind}）：余额 {m.balance}，流水合计 {m.ledger}")
        months = services.closed_month_mismatches()
        for pk, kept, ledger in months:
            self.stdout.write(f"账户 {pk}：月结月末余额 {kept}，按流水应为 {ledger}")
        if wrong or months:
            raise CommandError(f"{len(wrong)} 个账户的余额与流水不符，{len(months)} 条月结与流水不符")
        self.stdout.write("积分余额、月结与流水一致")
