"""Background work of cases: the deadline sweep (run every minute by `wangge worker`)."""

from django_tasks import task

from wangge.cases import services


@task()
def sweep_deadlines() -> dict:
    return services.sweep()
