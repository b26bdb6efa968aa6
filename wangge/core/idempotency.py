"""Client ids (a phone's retry key) belong to whoever sent them. Every write that takes one stores it with
its sender and looks a replay up by both, after the permission check: someone else's id is simply a new
submission, never a way to read back another person's record.

The sender is the signed-in user, or for an anonymous report the device it came from (a random cookie the
report page sets). Without either, a client id cannot be tied to anyone and is not kept."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

DEVICE_COOKIE = "wangge_device"
DEVICE_COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days


def sender(user=None, *, device: str = "") -> str:
    """Who a client id belongs to ("" when no one can be named)."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    if device and device.isalnum() and 16 <= len(device) <= 40:
        return f"device:{device}"
    return ""


def keyed(client_id: str | None, sender_key: str) -> dict:
    """The two columns a new row stores: the client id only with its sender."""
    client_id = (client_id or "")[:64]
    if not client_id or not sender_key:
        return {"client_id": None, "client_sender": ""}
    return {"client_id": client_id, "client_sender": sender_key}


def sent_before(queryset, client_id: str | None, sender_key: str):
    """The row this sender stored before under this client id, or None (never anyone else's)."""
    if not client_id or not sender_key:
        return None
    # the key alone first: almost every submission is new, and a one-column look-up without ordering
    # costs the ORM a fraction of building the whole row's (measured: a third of taking a report in)
    found = list(
        queryset.filter(client_id=client_id[:64], client_sender=sender_key).values_list("pk", flat=True)[:1]
    )
    return queryset.get(pk=found[0]) if found else None


def device_of(request) -> str:
    """The anonymous device's id from its cookie ("" if it has none yet)."""
    return request.COOKIES.get(DEVICE_COOKIE, "")


def remember_device(request, response, device: str) -> None:
    """Give a browser that came without one the device id its submission was stored under (it keeps it)."""
    if device != device_of(request):
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_COOKIE_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure())  # fmt: skip


def new_device() -> str:
    return secrets.token_hex(16)


def sender_field() -> models.CharField:
    # db_default: rows written by the bulk imports, which name their columns, get it too
    return models.CharField(_("提交者"), max_length=48, blank=True, default="", db_default="", editable=False)


def unique_per_sender(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["client_sender", "client_id"], name=name)
