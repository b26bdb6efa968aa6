"""Intake: one verb, `report`, for every channel."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import shapely
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import permissions as perms
from wangge.cases.models import Case, Category
from wangge.cases.services.catalogue import category_by_key, clean_attributes
from wangge.cases.services.deadlines import _start_stage
from wangge.cases.services.notices import _reporter_notices, _unit_notices
from wangge.cases.services.routing import Route, route
from wangge.cases.services.states import A, S
from wangge.cases.services.steps import _step, check_photo
from wangge.core import crypto, idempotency, outbox
from wangge.core.errors import error, invalid
from wangge.core.phrases import phrase
from wangge.grids import coords
from wangge.grids import services as grids
from wangge.grids.models import Grid

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


_CODE_TABLE = CODE_ALPHABET.encode() * 8  # byte b -> CODE_ALPHABET[b % 32]


@dataclass
class ReportIn:
    """What a phone page, a worker, the API, a 12345 import or another module reports."""

    category: str
    description: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    attributes: dict = field(default_factory=dict)
    client_id: str = ""
    channel: str = Case.Channel.RESIDENT
    hotline_number: str = ""
    on_spot: bool = False  # a grid worker solved it there and then (就地解决)
    grid_code: str = ""  # a place given as a grid (the public board's QR code) when there is no point


def _new_code(now: datetime) -> str:
    """Date and 8 random characters (32^8 = 10^12 a day): short enough to read out on the phone."""
    # each random byte picks a character: 256 is a multiple of 32, so uniformly
    return f"{timezone.localtime(now):%y%m%d}" + secrets.token_bytes(8).translate(_CODE_TABLE).decode()


def clean_report(data: ReportIn) -> tuple[Category, dict, float | None, float | None]:
    errors: dict[str, ValidationError] = {}
    try:
        category = category_by_key(data.category)
    except ValidationError as exc:
        if not data.category:
            raise invalid("category", _("请选择事件类别"), "required") from exc
        raise
    description = (data.description or "").strip()
    if not description:
        errors["description"] = error(_("请描述问题"), "required")
    elif len(description) > 2000:
        errors["description"] = error(_("问题描述不能超过 2000 字"), "out_of_range")
    lon, lat = data.lon, data.lat
    if (lon is None) != (lat is None):
        errors["lat"] = error(_("经度和纬度要一起提供"), "required")
    elif lon is not None and lat is not None:
        if data.crs not in ("wgs84", "gcj02", "bd09"):
            errors["crs"] = error(_("坐标系必须是 wgs84、gcj02 或 bd09"), "unknown")
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["lon"] = error(_("经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间"), "out_of_range")
        else:
            lon, lat = coords.to_wgs84(lon, lat, data.crs)
    phone = (data.reporter_phone or "").replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
        errors["reporter_phone"] = error(_("电话号码格式不正确"), "invalid")
    if lon is None and not data.address.strip() and not data.grid_code:
        errors["lon"] = error(_("请在地图上标出位置，或填写地址"), "required")
    attributes: dict = {}
    try:
        # orders from the hotline or other modules come without answers to the form's questions
        required = data.channel not in (Case.Channel.HOTLINE, Case.Channel.MODULE)
        attributes = clean_attributes(category, data.attributes or {}, require=required)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.error_dict.items()})
    if errors:
        raise ValidationError(errors)
    data.reporter_phone = phone
    return category, attributes, lon, lat


def report(
    data: ReportIn, *, by=None, device: str = "", photos=(), after_photos=(),
    attributes_extra: dict | None = None,
) -> Case:  # fmt: skip
    """Take in a report, from any channel. A retried submission (the same sender's client id: the user, or
    an anonymous phone's device) returns the sender's first case unchanged; anyone else's client id is a
    new report (`core.idempotency`)."""
    sender = idempotency.sender(by, device=device)
    photos = list(photos)
    checked = _check_report(data, by=by, photos=photos, after_photos=after_photos)
    if first := idempotency.sent_before(Case.objects, data.client_id, sender):
        return first
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _report(data, checked, by=by, sender=sender, photos=photos, after_photos=after_photos,
                               extra=attributes_extra)  # fmt: skip
        except IntegrityError:
            # Out here, after the rollback: a concurrent retry of the same submission won, the hotline
            # order is already in, or (once in 10^12) the random code was taken: try again.
            if first := idempotency.sent_before(Case.objects, data.client_id, sender):
                return first
            if data.hotline_number and Case.objects.filter(hotline_number=data.hotline_number).exists():
                raise invalid(
                    "hotline_number", _("热线工单 %(n)s 已导入") % {"n": data.hotline_number}, "taken"
                ) from None
    raise RuntimeError("could not store the case")


def _check_report(
    data: ReportIn, *, by, photos, after_photos
) -> tuple[Category, dict, float | None, float | None]:
    """Everything a report is refused for, said in Chinese before anything is written."""
    category, attributes, lon, lat = clean_report(data)
    if len(photos) > settings.CASE_MAX_PHOTOS:
        raise invalid("photos", _("最多上传 %(n)d 张照片") % {"n": settings.CASE_MAX_PHOTOS}, "too_many")
    for p in [*photos, *after_photos]:
        check_photo(p)
    if data.on_spot:
        if by is None or not by.has_perm(perms.HANDLE) or data.channel != Case.Channel.WORKER:
            raise PermissionDenied(_("只有网格员可以就地解决"))
        if not category.on_spot:
            raise invalid("on_spot", _("该类别不能就地解决，请上报"), "not_allowed")
        if not after_photos:
            raise invalid("after_photos", _("就地解决请上传处置后的照片"), "required")
    return category, attributes, lon, lat


def _route_report(category: Category, lon: float | None, lat: float | None, grid_code: str) -> Route:
    """The place's route; a report placed only by a grid's QR code goes by that grid."""
    r = route(category, lon, lat)
    if r.grid_id is None and grid_code:
        g = grids.open_grid(grid_code)
        if g is not None:
            r = route(category, *(grid_point(g) or (None, None)))
            if r.grid_id is None:
                r = Route(g.pk, g.pk, None, phrase("按二维码所在网格"))
    return r


def _new_case(data: ReportIn, category: Category, attributes: dict, lon, lat, r: Route, *, by, sender: str,
              now: datetime) -> Case:  # fmt: skip
    """The case a checked report makes (not yet saved), with its first stage's deadline."""
    case = Case(
        code=_new_code(now),
        channel=data.channel,
        category=category,
        catalogue_version_id=category.version_id,
        description=data.description.strip(),
        address=data.address.strip()[:255],
        lon=lon,
        lat=lat,
        attributes=attributes,
        grid_id=r.grid_id,
        handler_grid_id=r.handler_grid_id,
        handler_department_id=r.handler_department_id,
        reporter=by if by is not None and by.role == "resident" else None,
        reporter_name=data.reporter_name.strip()[:64],
        reporter_phone=data.reporter_phone,
        reporter_phone_index=crypto.blind_index(data.reporter_phone) or "",
        **idempotency.keyed(data.client_id, sender),
        hotline_number=data.hotline_number or None,
    )
    if data.on_spot:
        case.status, case.outcome = S.CLOSED, Case.Outcome.ON_SPOT
        case.handler_grid_id, case.handler_department_id = r.grid_id, None
        case.accepted_at = case.dispatched_at = case.handled_at = case.closed_at = now
        case.answer = _("网格员已现场处理")
    elif data.channel == Case.Channel.WORKER and by is not None and by.has_perm(perms.ACCEPT):
        case.status, case.accepted_at = S.ACCEPTED, now  # a worker's report is accepted on entry (立案)
    _start_stage(case, now)
    case._status_before = ""  # type: ignore[attr-defined]
    return case


def _reporter_name(data: ReportIn) -> str:
    """The reporter's own name, or the channel's (居民, 12345热线 …) for one who gave none."""
    if name := data.reporter_name.strip():
        return name
    try:
        return str(Case.Channel(data.channel).label)
    except ValueError:
        return ""


def _intake_notices(case: Case, r: Route) -> list:
    """The new case's notifications: the unit that takes it in, and the reporter's receipt."""
    new = phrase("新事件待处理：%(code)s %(c)s", code=case.code, c=case.category.name)
    notices = _unit_notices(case, f"case:{case.pk}:new", new,
                            grid=r.grid_id or r.handler_grid_id)  # fmt: skip
    return notices + _reporter_notices(
        case,
        f"case:{case.pk}:receipt",
        phrase("已收到您反映的问题，编号 %(code)s", code=case.code),
        followers=False,  # a new case has none
    )


def _report(data: ReportIn, checked: tuple, *, by, sender: str, photos, after_photos, extra) -> Case:
    category, attributes, lon, lat = checked
    attributes = {**attributes, **(extra or {})}  # an import's facts (not the category's questions)
    r = _route_report(category, lon, lat, data.grid_code)
    now = timezone.now()
    case = _new_case(data, category, attributes, lon, lat, r, by=by, sender=sender, now=now)
    case.save(force_insert=True)
    _step(case, A.REPORT, by, comment=r.reason, to_grid=case.handler_grid_id,
          to_department=case.handler_department_id, photos=photos, who=_reporter_name(data))  # fmt: skip
    if data.on_spot:
        case._status_before = S.REPORTED  # type: ignore[attr-defined]
        _step(case, A.ON_SPOT, by, comment=case.answer, photos=after_photos)
        receipt = phrase("已收到您反映的问题，编号 %(code)s", code=case.code)
        notices = _reporter_notices(case, f"case:{case.pk}:receipt", receipt, followers=False)
    else:
        notices = _intake_notices(case, r)
    outbox.queue(notices)
    return case


def grid_point(grid: Grid) -> tuple[float, float] | None:
    """A point inside a grid (lon, lat): where a case placed only by its grid is shown and routed."""
    if not grid.boundary:
        return None

    p = shapely.geometry.shape(grid.boundary).representative_point()
    return p.x, p.y
