"""Notifications through a transactional outbox: `notify` writes a row inside the caller's transaction;
`deliver` (a task the worker runs) sends what is pending, once, through the channel's adapter.

Channels: the in-site message centre (a Message row, written in the same transaction that marks the
outbox row sent: exactly once), SMS and WeChat template messages (adapters named in settings; each call
carries the outbox key, which a real provider uses as its idempotency key)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.core import crypto
from wangge.core.models import Message, OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class Adapter(Protocol):
    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None: ...


class RecordingAdapter:
    """The test double and the default where no provider is configured: remembers what it was asked to
    send (in this process) and logs it. Nothing leaves the machine."""

    sent: list[dict] = []

    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None:
        RecordingAdapter.sent.append({"key": key, "phone": phone, "title": title, "body": body, "link": link})
        log.info("notification %s to %s: %s", key, phone[:3] + "****", title)


def _adapter(channel: str) -> Adapter:
    path = settings.SMS_ADAPTER if channel == OutboxMessage.Channel.SMS else settings.WECHAT_ADAPTER
    return import_string(path)()


def notify(
    key: str, *, title: str, body: str = "", link: str = "", user=None, phone: str = "", channel: str = "site"
) -> None:
    """Queue one notification (call inside the transaction that makes the change). The key makes it
    unique: queuing the same key twice queues it once."""
    if channel == OutboxMessage.Channel.SITE and user is None:
        return
    if channel != OutboxMessage.Channel.SITE and not phone:
        return
    OutboxMessage.objects.get_or_create(
        key=key[:128],
        defaults=dict(
            channel=channel,
            user=user,
            phone=crypto.encrypt(phone) or "",
            title=title[:128],
            body=body,
            link=link[:255],
        ),
    )
    transaction.on_commit(_deliver_soon)


def _deliver_soon() -> None:
    from wangge.core.tasks import deliver_outbox

    try:
        deliver_outbox.enqueue()
    except Exception:  # the periodic delivery picks it up anyway
        log.exception("could not enqueue outbox delivery")


def deliver(limit: int = 500) -> int:
    """Send up to `limit` pending notifications; returns how many were sent. Safe to run in several
    workers at once (rows are locked and skipped on PostgreSQL; SQLite has one writer)."""
    sent = 0
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).order_by(
        "created"
    )
    ids = list(pending.values_list("pk", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            qs = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            row = qs.first()
            if row is None:
                continue  # another worker has it
            try:
                if row.channel == OutboxMessage.Channel.SITE:
                    Message.objects.get_or_create(
                        outbox_key=row.key,
                        defaults=dict(user=row.user, title=row.title, body=row.body, link=row.link),
                    )
                else:
                    _adapter(row.channel).send(
                        key=row.key,
                        phone=crypto.decrypt(row.phone) or "",
                        title=row.title,
                        body=row.body,
                        link=row.link,
                    )
            except Exception as exc:  # a provider failed: try again later, keep the reason
                OutboxMessage.objects.filter(pk=pk).update(
                    attempts=row.attempts + 1, last_error=str(exc)[:255]
                )
                continue
            OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=row.attempts + 1)
            sent += 1
    return sent


def unread_count(user) -> int:
    return Message.objects.filter(user=user, read_at__isnull=True).count()
