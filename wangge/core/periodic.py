"""Periodic work (deadline sweeps, outbox delivery, monthly reports): modules register tasks here, and
`wangge worker` enqueues each at its interval while it runs the queue. Every such task is idempotent,
so several workers enqueuing the same sweep is harmless."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils.module_loading import import_string

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


def enqueue_due(last: dict[str, float], now: float) -> list[str]:
    """Enqueue every registered task whose interval has passed since `last`; returns their paths."""
    done = []
    for p in _REGISTRY:
        if p.task not in last or now - last[p.task] >= p.every:  # each runs once when the worker starts
            try:
                import_string(p.task).enqueue()
            except Exception:  # a failed enqueue is tried again at the next tick
                log.exception("could not enqueue %s", p.task)
                continue
            last[p.task] = now
            done.append(p.task)
    return done


def start_scheduler(tick: float = 5.0) -> threading.Thread:
    """A daemon thread that enqueues due periodic tasks (the worker process runs them)."""
    last: dict[str, float] = {}

    def loop() -> None:

        while True:
            close_old_connections()
            enqueue_due(last, time.monotonic())
            time.sleep(tick)

    thread = threading.Thread(target=loop, name="wangge-periodic", daemon=True)
    thread.start()
    return thread
