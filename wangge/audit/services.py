"""The audit log: one verb to append, one to read with filters."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from wangge.audit.middleware import current_ip
from wangge.audit.models import AuditRecord

Action = AuditRecord.Action


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    detail: dict | None = None,
) -> AuditRecord:
    """Append one record. `actor` is a user or None (the system)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditRecord.objects.create(
        action=action,
        actor=actor if is_user else None,
        actor_name=(str(actor) if is_user else "系统")[:150],
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        detail=detail or {},
        ip=current_ip(),
    )


def search(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    text: str = "",
    since=None,
    until=None,
) -> QuerySet[AuditRecord]:
    qs = AuditRecord.objects.select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if text:
        qs = qs.filter(object_repr__icontains=text)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs
