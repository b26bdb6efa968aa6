"""Platform background work: delivering the notification outbox."""

from django_tasks import task

from wangge.core import outbox


@task()
def deliver_outbox(limit: int = 500) -> int:
    """Deliver until nothing is pending (in runs of `limit`): a busy hour queues more than one run sends."""
    total = 0
    while sent := outbox.deliver(limit):
        total += sent
        if sent < limit:
            break
    return total
