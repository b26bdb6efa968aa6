"""Enqueueing background work from requests without a queue row per request.

`enqueue_soon` asks for a task at most twice a second per process and key: once at once (the leading
edge) and once more, deferred to the end of that second (the trailing edge), so that whatever a request
committed meanwhile is picked up by a task that starts after it. A backend that runs tasks at once and
cannot defer them (the tests' immediate backend) runs the task on every call."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

log = logging.getLogger(__name__)
_lock = threading.Lock()
_windows: dict[str, tuple[float, bool]] = {}  # key -> (when the leading task was asked, trailing asked)


@receiver(setting_changed)
def _forget_windows(*, setting: str, **kwargs) -> None:
    """Windows belong to the backend that kept them (tests switch backends)."""
    if setting == "TASKS":
        _windows.clear()


def enqueue_soon(task, *, key: str, every: float = 1.0) -> None:
    now = time.monotonic()
    window = _windows.get(key)  # only a backend that defers keeps windows
    if window is not None and window[1] and now - window[0] < every:
        return  # both asked for already: most calls on a busy intake end here, before any lookup
    try:
        if not task.get_backend().supports_defer:
            task.enqueue()
            return
        with _lock:
            last, trailing = _windows.get(key, (float("-inf"), False))
            if now - last >= every:
                _windows[key] = (now, False)
                run_after = None
            elif not trailing:
                _windows[key] = (last, True)
                run_after = timezone.now() + timedelta(seconds=every - (now - last))
            else:
                return
        (task if run_after is None else task.using(run_after=run_after)).enqueue()
    except Exception:  # the periodic run picks up what a failed enqueue left
        log.exception("could not enqueue %s", key)
