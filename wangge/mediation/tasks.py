"""Background work of mediation: remind communities of the monthly report before the day."""

from django_tasks import task

from wangge.mediation import services


@task()
def remind_reports() -> dict:
    return {"reports": services.remind(), "late_disputes": services.sweep_levels()}
