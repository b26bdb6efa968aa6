"""Background work of cases: the deadline sweep (run every minute by `wangge worker`)."""

from django_tasks import task

from wangge.cases import services

# When more is due than the sweep's first batch (after a holiday, a worker stopped for an hour), the sweep
# asks this many other workers to join it: each takes the batches the others do not hold (rows locked and
# skipped on PostgreSQL), and a helper that finds nothing left returns at once.
SWEEP_HELPERS = 4


@task()
def sweep_deadlines() -> dict:
    if services.more_due_than_a_batch():
        for _ in range(SWEEP_HELPERS):
            help_sweep.enqueue()
    return services.sweep()


@task()
def help_sweep() -> dict:
    return services.sweep()


@task()
def refresh_tallies() -> int:
    """The daily tallies of today, yesterday and the days changes marked (every minute)."""
    from wangge.cases import tallies

    return tallies.refresh()
