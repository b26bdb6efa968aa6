"""Background work of mediation: remind communities of the monthly report before the day."""

from django_tasks import task

from wangge.mediation import services


@task()
def remind_reports() -> int:
    return services.remind()
