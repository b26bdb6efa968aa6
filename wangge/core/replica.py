"""A read replica (PostgreSQL streaming replication), named by WANGGE_REPLICA_URL.

Pages whose reads may be a moment old (figures, the command screen, reports, lists and their exports) are
marked `@replica_ok`; while one runs, `ReplicaRouter` sends its reads to the replica. Everything else, every
write and every read inside a transaction goes to the primary.

A user who has just written reads their own writes: the response to any write request carries the
primary's WAL position in a signed cookie, and until the replica has replayed past it (asked once per
request, with the same query that tells the replica is up) that user's marked pages read the primary. A
replica that does not answer is left alone for REPLICA_RETRY_SECONDS, the pages read the primary meanwhile;
a page whose read the replica gives up half-way is served again from the primary. Run the replica with
`hot_standby_feedback = on` (docs/deploy.md), or the primary's vacuum cancels its longer reads.
"""

from __future__ import annotations

import contextvars
import logging
import time
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, OperationalError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
COOKIE = "wangge_wal"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("wangge_replica", default=False)
_down_until = 0.0  # this process's: the replica failed to answer, try it again after this (monotonic)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_ok(view):
    """Mark a view whose reads may be a moment old: they go to the replica when it is up and has caught up
    with the user's own last write."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not configured() or request.method not in _SAFE:
            return view(request, *args, **kwargs)
        reading = _may_read_replica(request)
        token = _reading_replica.set(reading)
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            if not reading:
                raise
            # a read the replica gave up mid-page (cancelled by a conflict with recovery, seen in bench/city
            # while the primary vacuumed; or the replica went away): the page again on the primary (a
            # GET writes nothing)
            log.warning("a read on the replica failed: %s again on the primary", request.path, exc_info=True)
            _reading_replica.set(False)
            return view(request, *args, **kwargs)
        finally:
            _reading_replica.reset(token)

    return wrapped


def _may_read_replica(request) -> bool:
    global _down_until
    if time.monotonic() < _down_until:
        return False
    waited = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE)
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            if waited:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [waited])
            else:
                cursor.execute("SELECT pg_last_wal_replay_lsn() IS NOT NULL")
            (caught_up,) = cursor.fetchone()
    except DatabaseError:
        log.warning("the replica does not answer: the primary for %ss", settings.REPLICA_RETRY_SECONDS)
        replica.close()
        _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        return False
    return bool(caught_up)


class ReplicaRouter:
    """Reads of a `@replica_ok` page to the replica (outside transactions); the rest to the primary."""

    def db_for_read(self, model, **hints):
        if _reading_replica.get() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database's rows, whichever copy they were read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema


class ReadYourWritesMiddleware:
    """After a write request, the primary's WAL position in a signed cookie: that user's `@replica_ok`
    pages read the primary until the replica has replayed past it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if configured() and request.method not in _SAFE and response.status_code < 500:
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_current_wal_lsn()::text")
                    (lsn,) = cursor.fetchone()
            except DatabaseError:
                return response
            response.set_signed_cookie(
                COOKIE,
                lsn,
                salt=COOKIE,
                max_age=settings.REPLICA_WAIT_SECONDS,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response
