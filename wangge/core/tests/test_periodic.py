import pytest

from wangge.core import periodic
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_worker_enqueues_each_registered_sweep_at_its_interval(town):
    from wangge.accounts.models import User

    paths = {p.task for p in periodic.registered()}
    assert {"wangge.cases.tasks.sweep_deadlines", "wangge.core.tasks.deliver_outbox"} <= paths
    user = User.objects.create(username="u1")
    OutboxMessage.objects.create(key="k", channel="site", user=user, title="你好")
    last: dict[str, float] = {}
    first = periodic.enqueue_due(last, 1000.0)  # the immediate backend runs them at once
    assert set(first) == paths and Message.objects.filter(user=user, title="你好").count() == 1
    assert periodic.enqueue_due(last, 1010.0) == []  # nothing is due ten seconds later
    assert periodic.enqueue_due(last, 1031.0) == ["wangge.core.tasks.deliver_outbox"]
