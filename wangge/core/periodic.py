"""Periodic work (deadline sweeps, outbox delivery, monthly reports): modules register tasks here, and
`wangge worker` enqueues each at its interval while it runs the queue. Several workers share one slot
per task in the database (`PeriodicSlot`), so a sweep is enqueued once per interval however many workers
run; every such task is idempotent besides."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.core.models import PeriodicSlot

log = logging.getLogger(__name__)


@dataclass
class Periodic:
    task: str  # dotted path of a django-tasks task
    every: float  # seconds


_REGISTRY: list[Periodic] = []


def register(task: str, every: float) -> None:
    if not any(p.task == task for p in _REGISTRY):
        _REGISTRY.append(Periodic(task, every))


def registered() -> list[Periodic]:
    return list(_REGISTRY)


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every registered task that is due, where this process wins its slot; returns their paths.
    A failed enqueue gives the slot back, to be tried at the next tick."""
    now = now or timezone.now()
    done = []
    for p in _REGISTRY:
        if not _claim(p, now):
            continue
        try:
            import_string(p.task).enqueue()
        except Exception:
            log.exception("could not enqueue %s", p.task)
            PeriodicSlot.objects.filter(task=p.task).update(due_at=now)
            continue
        done.append(p.task)
    return done


def _claim(p: Periodic, now: datetime) -> bool:
    """Whether this process enqueues the task now: its shared slot is due, and this process's conditional
    UPDATE (one statement, atomic on both databases) is the one that moved it on by an interval."""
    PeriodicSlot.objects.get_or_create(task=p.task, defaults={"due_at": now})  # each runs once at first
    due = PeriodicSlot.objects.filter(task=p.task, due_at__lte=now)
    return due.update(due_at=now + timedelta(seconds=p.every)) == 1


def start_scheduler(tick: float = 5.0) -> threading.Thread:
    """A daemon thread that enqueues due periodic tasks (the worker process runs them)."""

    def loop() -> None:
        while True:
            close_old_connections()
            try:
                enqueue_due()
            except Exception:  # the database away for a moment: the next tick tries again
                log.exception("periodic tick failed")
            time.sleep(tick)

    thread = threading.Thread(target=loop, name="wangge-periodic", daemon=True)
    thread.start()
    return thread
