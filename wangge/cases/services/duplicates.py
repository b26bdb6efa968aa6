"""Nearby open cases, public hints and following a case by phone."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from wangge.cases.models import Case, CaseFollower, Category
from wangge.cases.services.access import public_cases, visible_cases
from wangge.cases.services.states import OPEN
from wangge.core import crypto
from wangge.core.errors import invalid
from wangge.grids import coords

log = logging.getLogger(__name__)


def nearby_open(
    lon: float,
    lat: float,
    category: Category | None = None,
    text: str = "",
    *,
    metres: int | None = None,
    limit: int = 5,
    among: QuerySet[Case] | None = None,
) -> list[tuple[Case, int]]:
    """Open cases near a point (a bounding box, then the exact distance), same category first, with
    similar words ranked higher; for a case page's "same problem nearby"."""

    metres = metres or settings.CASE_NEARBY_METRES
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(0.1, math.cos(math.radians(lat))))
    qs = (Case.objects.all() if among is None else among).filter(
        status__in=OPEN, lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat)
    )
    if category is not None:
        qs = qs.filter(category__key=category.key)
    found = []
    for c in qs.select_related("category")[:200]:
        d = coords.distance_m(lon, lat, c.lon or 0, c.lat or 0)
        if d <= metres:
            score = fuzz.partial_ratio(text, c.description) if text else 0
            found.append((c, round(d), score))
    found.sort(key=lambda t: (-t[2], t[1]))
    return [(c, d) for c, d, _s in found[:limit]]


@dataclass
class PublicHint:
    """What the report page may tell anyone of an open case nearby: what a passer-by sees anyway."""

    ref: str  # signed, short-lived: lets `follow_by_phone` find the case, opens nothing
    category: str
    status: str
    about_metres: int  # rounded up to 50 m: an approximate place


FOLLOW_SALT = "wangge.cases.follow"


def nearby_hints(lon: float, lat: float, category: Category | None, text: str = "") -> list[PublicHint]:
    """The report page's "already reported?": public categories only (never a private one, in any form),
    the kind of problem, its status and about how far, without its words, code, token or a link."""

    found = nearby_open(lon, lat, category, text, among=public_cases())
    return [
        PublicHint(
            ref=signing.dumps(c.pk, salt=FOLLOW_SALT, compress=True),
            category=c.category.name,
            status=c.get_status_display(),
            about_metres=max(50, math.ceil(d / 50) * 50),
        )
        for c, d in found
    ]


@transaction.atomic
def follow_by_phone(ref: str, phone: str) -> Case:
    """A passer-by follows a case from the hint instead of reporting it again: told of its progress by SMS
    (no link). The reference expires after a day; only open cases of public categories can be followed."""

    try:
        pk = signing.loads(ref, salt=FOLLOW_SALT, max_age=86400)
    except signing.BadSignature:
        raise invalid("ref", _("该提示已过期，请重新标出位置后再试"), "expired") from None
    case = public_cases().filter(pk=pk, status__in=OPEN).first()
    if case is None:
        raise invalid("ref", _("该问题已办结或不能关注"), "closed")
    phone = (phone or "").replace(" ", "").replace("-", "")
    if not (phone.isdigit() and 7 <= len(phone) <= 12):
        raise invalid("reporter_phone", _("请填写手机号，以便短信告诉您处理进展"), "required")
    CaseFollower.objects.get_or_create(
        case=case, phone_index=crypto.blind_index(phone), defaults={"phone": phone}
    )
    return case


def follow(case: Case) -> Case:
    """What the reporter follows: the original when theirs was merged into it."""
    return case.duplicate_of if case.duplicate_of_id and case.duplicate_of else case


@dataclass
class RepeatGroup:
    """A 12345 repeat group as one user may see it: the first case (None if out of their sight) and the
    repeated calls grouped under it, oldest first."""

    first: Case | None
    repeats: list[Case]

    @property
    def waiting(self) -> list[Case]:
        """Repeats still to be accepted or dispatched on their own: 一并办理 takes them."""
        return [r for r in self.repeats if r.status in (Case.Status.REPORTED, Case.Status.ACCEPTED)
                and not r.follows_first]  # fmt: skip


def repeat_group(case: Case, user) -> RepeatGroup | None:
    first_id = case.repeat_of_id or case.pk
    visible = visible_cases(user)
    repeats = list(visible.filter(repeat_of_id=first_id).order_by("created", "pk"))
    if not repeats:
        return None
    return RepeatGroup(visible.filter(pk=first_id).first(), repeats)
