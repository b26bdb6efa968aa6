"""Background work of field work: keep every household's duties in step with the archive."""

from django_tasks import task

from wangge.fieldwork import services


@task()
def sync_duties() -> dict:
    return services.sync()
