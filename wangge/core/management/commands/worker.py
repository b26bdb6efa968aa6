"""`wangge worker`: run the background queue, and enqueue the periodic sweeps while it runs."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from wangge.core import periodic


class Command(BaseCommand):
    help = "Run background tasks (imports, notifications) and the periodic sweeps (deadlines, escalation)."

    def add_arguments(self, parser):
        parser.add_argument("--no-periodic", action="store_true", help="only run the queue")
        # db_worker's default (1 s) let a resident's report wait up to a second more before the worker
        # even looked; an empty poll costs well under a millisecond
        parser.add_argument(
            "--interval", type=float, default=0.2, help="seconds between looks at an empty queue (0.2)"
        )

    def handle(self, *args, **options):
        if not options["no_periodic"]:
            periodic.start_scheduler()
            names = ", ".join(p.task.rsplit(".", 1)[-1] for p in periodic.registered())
            self.stdout.write(f"periodic: {names}")
        # -v 0 quiets the per-task lines
        call_command("db_worker", verbosity=options["verbosity"], interval=options["interval"])
