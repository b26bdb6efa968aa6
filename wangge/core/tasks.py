"""Platform background work: delivering the notification outbox."""

from django_tasks import task

from wangge.core import outbox


@task()
def deliver_outbox() -> int:
    return outbox.deliver()
