"""Notifications through a transactional outbox: `notify` writes a row inside the caller's transaction;
`deliver` (a task the worker runs) sends what is pending, once, through the channel's adapter.

Channels: the in-site message centre (Message rows, written in the same transaction that marks the
outbox row sent: exactly once), SMS and WeChat template messages (adapters named in settings; each call
carries the outbox key, which a real provider uses as its idempotency key). A row may name a whole unit
(a grid or a department): its people are looked up at delivery, off the request that raised it."""

from __future__ import annotations

import logging
import time
import urllib.request
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.core import crypto
from wangge.core.models import Message, MessageKind, OutboxMessage
from wangge.core.phrases import Phrase
from wangge.core.tasks import deliver_outbox

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


class JsonPostAdapter:
    """POSTs the row's body (JSON) to its link (a system's endpoint), the outbox key as the request's
    Idempotency-Key and a bearer token from settings: anything but a 2xx answer is a failure to retry."""

    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if settings.HOTLINE_ANSWER_TOKEN:
            headers["Authorization"] = f"Bearer {settings.HOTLINE_ANSWER_TOKEN}"
        request = urllib.request.Request(link, data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310 (a configured https URL)
            if not 200 <= answer.status < 300:
                raise RuntimeError(f"HTTP {answer.status}")


def _adapter(channel: str) -> Adapter:
    paths: dict[str, str] = {
        OutboxMessage.Channel.SMS.value: settings.SMS_ADAPTER,
        OutboxMessage.Channel.HOTLINE.value: settings.HOTLINE_ADAPTER,
    }
    path = paths.get(channel, settings.WECHAT_ADAPTER)
    return import_string(path)()


def row(key: str, **kw) -> OutboxMessage:
    """An outbox row to pass to `queue` (same arguments as `notify`)."""
    return _row(key, **kw)


def notify(
    key: str,
    *,
    title: str | Phrase,
    body: str | Phrase = "",
    link: str = "",
    user=None,
    grid_id: int | None = None,
    department_id: int | None = None,
    phone: str = "",
    channel: str = "site",
    kind: str = MessageKind.OTHER,
) -> None:
    """Queue one notification (call inside the transaction that makes the change): to a user, to a
    unit (grid or department), or by SMS/WeChat to a phone. The same key queues it once. A site message
    also reaches each recipient by SMS or WeChat where they chose so for its kind."""
    if channel == OutboxMessage.Channel.SITE and user is None and grid_id is None and department_id is None:
        return
    if channel in (OutboxMessage.Channel.SMS, OutboxMessage.Channel.WECHAT) and not phone:
        return
    queue([_row(key, title=title, body=body, link=link, user=user, grid_id=grid_id,
                department_id=department_id, phone=phone, channel=channel, kind=kind)])  # fmt: skip


def queue(rows: list[OutboxMessage]) -> None:
    """Queue several notifications at once (a step's one or two, the sweep's batch). Keys already queued
    are kept, so a retried step queues nothing twice."""
    if not rows:
        return
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_deliver_soon)


def _messages(r: OutboxMessage, people: dict) -> list[Message]:
    """The in-site messages that deliver a row: one to its user, or one to each of its unit's people (a
    message key once per person, so that a row is never delivered twice)."""
    users = [r.user_id] if r.user_id is not None else people[(r.to_grid_id, r.to_department_id)]
    return [
        Message(user_id=u, title=r.title, title_msgid=r.title_msgid, title_args=r.title_args, body=r.body,
                link=r.link, outbox_key=f"{r.key}:{u}"[:128])
        for u in users
    ]  # fmt: skip


def _row(key: str, *, title: str | Phrase, body: str | Phrase = "", link: str = "", user=None, grid_id=None,
         department_id=None, phone: str = "", channel: str = "site",
         kind: str = MessageKind.OTHER) -> OutboxMessage:  # fmt: skip
    # a title kept as its phrase is shown in each reader's language; SMS and WeChat get the site's
    msgid, args = (title.msgid, title.as_json()["args"]) if isinstance(title, Phrase) else ("", {})
    title = title.stored() if isinstance(title, Phrase) else title
    body = body.stored() if isinstance(body, Phrase) else body
    return OutboxMessage(
        key=key[:128],
        title_msgid=msgid,
        title_args=args,
        channel=channel,
        kind=kind,
        user=user,
        to_grid_id=grid_id if department_id is None else None,
        to_department_id=department_id,
        phone=crypto.encrypt(phone) or "",
        title=title[:128],
        body=body,
        link=link[:255],
    )


_last_enqueued = [0.0]


def _deliver_soon() -> None:
    """Ask a worker to deliver now; at most once a second per process (the rows wait in the table, and
    the periodic delivery picks up anything missed)."""
    now = time.monotonic()
    if now - _last_enqueued[0] < 1.0:
        return
    _last_enqueued[0] = now

    try:
        deliver_outbox.enqueue()
    except Exception:
        log.exception("could not enqueue outbox delivery")


def deliver(limit: int = 500, batch: int = 100) -> int:
    """Send up to `limit` pending notifications; returns how many were sent. Safe to run in several
    workers at once (rows are locked and skipped on PostgreSQL; SQLite has one writer).

    In-site messages go a batch at a time (one transaction writes the messages and marks the rows sent:
    a message a row cost 1.1 ms, measured); SMS and WeChat one by one, each marked after its provider
    answered."""
    sent = 0
    while sent < limit:
        done = _deliver_site(min(batch, limit - sent))
        sent += done
        if not done:
            break
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).exclude(
        channel=OutboxMessage.Channel.SITE
    )
    for pk in list(pending.order_by("created").values_list("pk", flat=True)[: max(limit - sent, 0)]):
        with transaction.atomic():
            qs = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            row = qs.first()
            if row is None:
                continue  # another worker has it
            try:
                _send(row)
            except Exception as exc:  # a provider failed: try again later, keep the reason
                OutboxMessage.objects.filter(pk=pk).update(
                    attempts=row.attempts + 1, last_error=str(exc)[:255]
                )
                if row.attempts + 1 >= MAX_ATTEMPTS:  # kept as failed, for the administrator to retry
                    log.error("notification %s failed %s times: %s", row.key, MAX_ATTEMPTS, exc)
                continue
            OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=row.attempts + 1)
            sent += 1
    return sent


@transaction.atomic
def _deliver_site(batch: int) -> int:
    """One batch of in-site messages: the rows, their people (`unit_people`), the messages, the rows
    marked sent."""
    qs = OutboxMessage.objects.filter(
        sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, channel=OutboxMessage.Channel.SITE
    ).order_by("created")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    rows = list(qs[:batch])
    if not rows:
        return 0
    # who a unit's people are is for accounts to say (core imports no app): settings name its function
    unit_people = import_string(settings.OUTBOX_UNIT_PEOPLE)
    people = unit_people({(r.to_grid_id, r.to_department_id) for r in rows if r.user_id is None})
    messages = {r.pk: _messages(r, people) for r in rows}
    Message.objects.bulk_create([m for ms in messages.values() for m in ms], ignore_conflicts=True)
    # and by SMS or WeChat to those who chose so for the kind (accounts knows their choices and addresses)
    channels_of = import_string(settings.OUTBOX_PERSONAL_CHANNELS)
    chosen = channels_of({m.user_id for ms in messages.values() for m in ms}, {r.kind for r in rows})
    OutboxMessage.objects.bulk_create(
        [
            _row(
                f"{r.key}:{m.user_id}:{channel}",
                channel=channel,
                phone=address,
                kind=r.kind,
                title=r.title,
                body=r.body,
                link=r.link,
            )  # fmt: skip
            for r in rows
            for m in messages[r.pk]
            for channel, address in chosen.get((m.user_id, r.kind), ())
        ],
        ignore_conflicts=True,
    )
    OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(rows)


def _send(row: OutboxMessage) -> None:
    _adapter(row.channel).send(
        key=row.key, phone=crypto.decrypt(row.phone) or "", title=row.title, body=row.body,
        link=absolute(row.link),
    )  # fmt: skip


def absolute(link: str) -> str:
    """A link that leaves the site (an SMS on a phone) with the site's address (settings.SITE_URL) in
    front; a link that is absolute already stays as it is."""
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def failed() -> QuerySet[OutboxMessage]:
    """Notifications that failed MAX_ATTEMPTS times: never dropped; shown on the health page to retry."""
    return OutboxMessage.objects.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS).order_by("-created")


def pending() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def retry(rows: QuerySet[OutboxMessage]) -> int:
    """Send failed notifications again from the start (their last error kept until they leave)."""
    n = rows.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS).update(attempts=0)
    if n:
        transaction.on_commit(_deliver_soon)
    return n


def digest(user) -> QuerySet:
    """The user's unread messages grouped by what they link to (one case, one line): the count, the
    latest title and time, newest first. 170 unread messages are some dozens of cases."""
    unread = Message.objects.filter(user=user, read_at__isnull=True)
    latest = unread.filter(link=OuterRef("link")).order_by("-created", "-pk")
    return (
        unread.values("link")
        .annotate(
            count=Count("pk"),
            latest_at=Max("created"),
            latest=Subquery(latest.values("pk")[:1]),
        )
        .order_by("-latest_at", "link")
    )


def with_titles(groups) -> list[dict]:
    """A page of the digest with each group's latest title, in the reader's language (one query)."""
    groups = list(groups)
    latest = Message.objects.in_bulk([g["latest"] for g in groups])
    for g in groups:
        m = latest.get(g["latest"])
        g["title"] = m.shown_title if m else ""
    return groups


def mark_read(user, *, ids=None, link: str | None = None) -> int:
    """Mark the user's unread messages read: these ids, or all about one link, or (neither) every one."""
    unread = Message.objects.filter(user=user, read_at__isnull=True)
    if ids:
        unread = unread.filter(pk__in=ids)
    elif link is not None:
        unread = unread.filter(link=link)
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Message.objects.filter(user=user, read_at__isnull=True).count()
