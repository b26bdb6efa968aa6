from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core import periodic
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_worker_enqueues_each_registered_sweep_at_its_interval(town):
    from wangge.accounts.models import User

    paths = {p.task for p in periodic.registered()}
    assert {"wangge.cases.tasks.sweep_deadlines", "wangge.core.tasks.deliver_outbox"} <= paths
    user = User.objects.create(username="u1")
    OutboxMessage.objects.create(key="k", channel="site", user=user, title="你好")
    now = timezone.now()
    first = periodic.enqueue_due(now)  # the immediate backend runs them at once
    assert set(first) == paths and Message.objects.filter(user=user, title="你好").count() == 1
    assert periodic.enqueue_due(now) == []  # a second worker at the same moment: nothing left to enqueue
    assert periodic.enqueue_due(now + timedelta(seconds=10)) == []  # nothing is due ten seconds later
    assert periodic.enqueue_due(now + timedelta(seconds=31)) == ["wangge.core.tasks.deliver_outbox"]
