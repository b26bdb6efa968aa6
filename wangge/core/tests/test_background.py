"""Asking for background work from requests: at most a leading and a trailing task a window, per key."""

import pytest
from django.test import override_settings

from wangge.cases import tasks
from wangge.core import background

pytestmark = pytest.mark.django_db

QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(background.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(background, "_windows", {})
    return now


@override_settings(TASKS=QUEUE)
def test_a_busy_second_asks_for_one_task_at_once_and_one_at_its_end(clock):
    from django_tasks_db.models import DBTaskResult

    for _ in range(50):  # fifty reports in the same second
        background.enqueue_soon(tasks.take_in_submissions, key="cases.take_in")
    queued = list(DBTaskResult.objects.order_by("enqueued_at", "pk"))
    assert len(queued) == 2
    assert queued[1].run_after > queued[0].enqueued_at  # the trailing one waits for the window's end
    clock[0] += 1.5  # the next second: a new window
    background.enqueue_soon(tasks.take_in_submissions, key="cases.take_in")
    background.enqueue_soon(tasks.take_in_submissions, key="cases.take_in")
    assert DBTaskResult.objects.count() == 4


def test_a_backend_that_cannot_defer_runs_the_task_on_every_call(clock, monkeypatch):
    runs = []
    monkeypatch.setattr("wangge.cases.services.take_in", lambda: runs.append(1) or 0)
    for _ in range(3):
        background.enqueue_soon(tasks.take_in_submissions, key="cases.take_in")
    assert len(runs) == 3
