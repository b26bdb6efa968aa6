"""Spare keys (备用钥匙): the register of keys residents leave with the community. A key is registered with
the resident's consent signed on the phone and a place in a cabinet; every hand-out names who took it,
why and when it is due back; a key not back in time is flagged; every look at the register is audited
(it tells whose home a key opens); the resident takes it back and the record closes."""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.audit import services as audit
from wangge.core import photos
from wangge.core.errors import invalid
from wangge.engagement.models import KeyHandout, SpareKey  # noqa: F401  (SpareKey for the views)
from wangge.grids.jurisdiction import visible

K = SpareKey.Status


def keys_for(user) -> QuerySet[SpareKey]:
    return visible(SpareKey.objects.select_related("person", "person__grid"), user, grid_field="person__grid")


def looked_at(user, *, what: str, count: int, key: SpareKey | None = None) -> None:
    """Every look at the register leaves an audit record: who looked, at what, how many keys."""
    audit.record(
        audit.Action.VIEW_SENSITIVE,
        actor=user,
        obj=key,
        object_type="engagement.sparekey",
        object_repr=what,
        detail={"keys": count},
    )


@transaction.atomic
def register_key(
    person, *, purpose: str, cabinet: str, slot: str, by, drawn: str = "", upload=None
) -> SpareKey:
    errors = [
        (f, m)
        for f, v, m in (
            ("purpose", purpose, _("请填写用途")),
            ("cabinet", cabinet, _("请填写钥匙柜")),
            ("slot", slot, _("请填写格位")),
        )
        if not (v or "").strip()
    ]
    if errors:
        raise invalid(errors[0][0], errors[0][1], "required")
    if drawn:
        upload = photos.drawn_upload(drawn, field="consent")
    if upload is None:
        raise invalid("consent", _("请居民本人手写签名同意，或上传签字的同意书照片"), "required")
    image = photos.check_image(upload, max_bytes=8 * 1024 * 1024, field="consent")
    content, _w, _h = photos.jpeg(image, longest=1200)
    key = SpareKey(
        person=person,
        purpose=purpose.strip()[:120],
        cabinet=cabinet.strip()[:32],
        slot=slot.strip()[:16],
        consent_at=timezone.now(),
        received_by=by,
    )
    key.consent.save("consent.jpg", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        if SpareKey.objects.filter(person=person).exclude(status=K.RETURNED).exists():
            raise invalid("person", _("该居民已有一把在保管中的备用钥匙"), "taken") from None
        raise invalid("slot", _("该格位已有钥匙"), "taken") from None
    audit.record(audit.Action.CREATE, actor=by, obj=key, object_repr=f"备用钥匙 {key}")
    return key


@transaction.atomic
def hand_out(key: SpareKey, *, taken_by: str, reason: str, due_at: datetime, by) -> KeyHandout:
    locked = SpareKey.objects.select_for_update().get(pk=key.pk)
    if locked.status != K.HELD:
        raise invalid("key", _("该钥匙不在柜中（%(s)s）") % {"s": locked.get_status_display()}, "wrong_state")
    if not (taken_by or "").strip() or not (reason or "").strip():
        raise invalid("reason", _("请填写领取人和事由"), "required")
    if due_at <= timezone.now():
        raise invalid("due_at", _("应归还时间应晚于现在"), "out_of_range")
    locked.status = K.OUT
    locked.save(update_fields=["status", "last_updated"])
    out = KeyHandout.objects.create(
        key=locked, taken_by=taken_by.strip()[:64], reason=reason.strip()[:200], due_at=due_at, recorded_by=by
    )
    audit.record(
        audit.Action.UPDATE,
        actor=by,
        obj=locked,
        object_repr=f"备用钥匙 {locked} 借出",
        detail={"taken_by": out.taken_by, "reason": out.reason},
    )
    return out


@transaction.atomic
def take_back(key: SpareKey, *, by) -> KeyHandout:
    locked = SpareKey.objects.select_for_update().get(pk=key.pk)
    out = locked.handouts.filter(back_at__isnull=True).first()
    if locked.status != K.OUT or out is None:
        raise invalid("key", _("该钥匙没有借出"), "wrong_state")
    out.back_at = timezone.now()
    out.save(update_fields=["back_at"])
    locked.status = K.HELD
    locked.save(update_fields=["status", "last_updated"])
    audit.record(audit.Action.UPDATE, actor=by, obj=locked, object_repr=f"备用钥匙 {locked} 归还")
    return out


@transaction.atomic
def return_to_owner(key: SpareKey, *, by) -> SpareKey:
    """The resident takes their key back: the record closes (its history stays)."""
    locked = SpareKey.objects.select_for_update().get(pk=key.pk)
    if locked.status != K.HELD:
        raise invalid("key", _("钥匙借出中或已退还，不能退还本人"), "wrong_state")
    locked.status, locked.returned_at = K.RETURNED, timezone.now()
    locked.save(update_fields=["status", "returned_at", "last_updated"])
    audit.record(audit.Action.CLOSE, actor=by, obj=locked, object_repr=f"备用钥匙 {locked} 退还本人")
    return locked


def overdue(keys: QuerySet[SpareKey]) -> QuerySet[KeyHandout]:
    """Hand-outs not back in time."""
    return KeyHandout.objects.filter(key__in=keys, back_at__isnull=True, due_at__lt=timezone.now())
