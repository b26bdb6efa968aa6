"""Background work of cases: the deadline sweep (run every minute by `wangge worker`)."""

from django_tasks import task

from wangge.cases import services


@task()
def sweep_deadlines() -> dict:
    return services.sweep()


@task()
def refresh_tallies() -> int:
    """The daily tallies of today, yesterday and the days changes marked (every minute)."""
    from wangge.cases import tallies

    return tallies.refresh()
