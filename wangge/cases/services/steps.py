"""Writing a step: the append-only CaseEvent, the status move, photos."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from wangge.cases.models import Case, CaseEvent, CasePhoto
from wangge.cases.services.notices import _tell_hotline
from wangge.core import photos as core_photos
from wangge.core.phrases import Phrase

log = logging.getLogger(__name__)


def _step(
    case: Case,
    action: str,
    by,
    *,
    comment: str | Phrase = "",
    to_grid=None,
    to_department=None,
    photos=(),
    who: str = "",
) -> CaseEvent:
    """One append-only step; `who` names an actor without an account (a resident, the hotline)."""
    event = _event(case, action, by, comment=comment, to_grid=to_grid, to_department=to_department, who=who)
    event.save()
    answered = (Case.Status.CLOSED, Case.Status.REJECTED)
    if case.hotline_number and event.to_status in answered and event.from_status not in answered:
        _tell_hotline(case)  # the order's answer goes back to 12345 with the step that gives it
    for image in photos:
        save_photo(case, image, event)
    return event


def _event(case: Case, action: str, by, *, comment: str | Phrase = "", to_grid=None, to_department=None,
           who: str = "") -> CaseEvent:  # fmt: skip
    name = (getattr(by, "full_name", "") or getattr(by, "username", "")) if by else (who or CaseEvent.SYSTEM)
    return CaseEvent(
        case=case,
        action=action,
        actor=by,
        actor_name=name[:64],
        **comment_fields(comment),
        from_status=getattr(case, "_status_before", case.status),
        to_status=case.status,
        to_grid_id=getattr(to_grid, "pk", to_grid),
        to_department_id=getattr(to_department, "pk", to_department),
        late=bool(case.stage_due_at and timezone.now() > case.stage_due_at),
    )


def comment_fields(comment: str | Phrase) -> dict:
    """A step's comment: what a person typed, or a sentence of the system's kept as its phrase (shown
    in the reader's language) beside its Chinese words."""
    if isinstance(comment, Phrase):
        return {
            "comment": comment.stored(),
            "comment_msgid": comment.msgid,
            "comment_args": comment.as_json()["args"],
        }
    return {"comment": comment}


def _move(case: Case, status: str) -> None:
    case._status_before = case.status  # type: ignore[attr-defined]
    case.status = status


def save_photo(case: Case, upload, event: CaseEvent | None = None) -> CasePhoto:
    """Store one uploaded photo, re-encoded as JPEG (which also drops its EXIF location and metadata)."""

    data, width, height = core_photos.jpeg(check_photo(upload))
    photo = CasePhoto(case=case, event=event, width=width, height=height)
    photo.image.save("photo.jpg", ContentFile(data), save=True)
    return photo


def check_photo(upload):
    """The photo as a Pillow image, or a Chinese ValidationError (not an image, too large, a type we
    do not take)."""
    return core_photos.check_image(upload, max_bytes=settings.CASE_MAX_PHOTO_BYTES)
