"""Platform background work: delivering the notification outbox; taking back what a dead worker left."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from wangge.core import exports, outbox


@task()
def deliver_outbox(limit: int = 500) -> int:
    """Deliver until nothing is pending (in runs of `limit`): a busy hour queues more than one run sends."""
    total = 0
    while sent := outbox.deliver(limit):
        total += sent
        if sent < limit:
            break
    return total


@task()
def requeue_abandoned() -> int:
    """Tasks left running by a worker that died (SIGKILL, a power cut): ready again once they have been
    running TASK_STALE_SECONDS, for a worker to take. Every task is idempotent and every long write is one
    transaction (or batches of them), so running it again is how nothing half-done is left and nothing is
    lost. Returns how many were taken back."""

    before = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=before).update(
        status=TaskResultStatus.READY, started_at=None
    )


@task()
def run_export(job_id: int) -> None:
    exports.run(job_id)


@task()
def forget_old_exports() -> int:
    return exports.forget_old()
