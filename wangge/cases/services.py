"""The verbs of the event loop: report, accept, dispatch, handle, verify, close, rate, and the side
branches (return, extend, suspend, supervise, cannot solve, duplicate), plus the deadline sweep.

Every verb checks the actor may act on the case, moves its status, writes one append-only CaseEvent,
sets the next deadline, and queues its notifications in the same transaction (the outbox)."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Department
from wangge.cases import permissions as perms
from wangge.cases.calendar import WorkTime
from wangge.cases.models import Case, CaseEvent, CaseFollower, CasePhoto, CatalogueVersion, Category
from wangge.core import crypto, idempotency, links, outbox
from wangge.core import photos as core_photos
from wangge.grids import coords, jurisdiction
from wangge.grids import services as grids
from wangge.grids.models import Grid

S = Case.Status
A = CaseEvent.Action
OPEN = [S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLED, S.SUSPENDED]
STAGE_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLED: "verify",
}
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_TABLE = CODE_ALPHABET.encode() * 8  # byte b -> CODE_ALPHABET[b % 32]
log = logging.getLogger(__name__)


# --- the catalogue ------------------------------------------------------------------------------


def catalogue(on: date | None = None) -> CatalogueVersion | None:
    """The catalogue version in force on a date (the latest that started on or before it)."""
    on = on or timezone.localdate()
    return CatalogueVersion.objects.filter(valid_from__lte=on).order_by("-valid_from", "-number").first()


def categories(on: date | None = None) -> QuerySet[Category]:
    """The subclasses (小类) a report can pick, with their main class."""
    version = catalogue(on)
    qs = Category.objects.select_related("parent", "handler_department")
    if version is None:
        return qs.none()
    return qs.filter(version=version, parent__isnull=False)


# The catalogue changes a few times a year and takes effect from a date: each process keeps the day's
# subclasses for CATALOGUE_SECONDS instead of reading them on every report (the intake path).
CATALOGUE_SECONDS = 30.0
_catalogue_cache: dict[str, tuple[float, dict[str, Category]]] = {}


def forget_caches() -> None:
    """Drop this process's catalogue and calendar (after a scene is applied; between tests)."""
    from wangge.cases import calendar

    _catalogue_cache.clear()
    calendar.forget()


def category_by_key(key: str, on: date | None = None) -> Category:
    import time

    day = (on or timezone.localdate()).isoformat()
    cached = _catalogue_cache.get(day)
    if cached is None or time.monotonic() - cached[0] > CATALOGUE_SECONDS:
        cached = (time.monotonic(), {c.key: c for c in categories(on)})
        _catalogue_cache.clear()
        _catalogue_cache[day] = cached
    found = cached[1].get(key)
    if found is None:
        raise ValidationError({"category": _("未知的事件类别：%(key)s") % {"key": key}})
    return found


def clean_attributes(category: Category, raw: dict, *, require: bool = True) -> dict:
    """The category's extra questions answered: required ones present, numbers numbers, dates dates,
    choices among the choices. Unknown answers are dropped."""
    out: dict = {}
    errors: dict[str, str] = {}
    for q in category.attributes:
        code, label = q["code"], q["label"]
        value = raw.get(code)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if q.get("required") and require:
                errors[f"attribute[{code}]"] = _("请填写：%(label)s") % {"label": label}
            continue
        kind = q.get("type", "text")
        if kind == "number":
            try:
                value = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                errors[f"attribute[{code}]"] = _("%(label)s 应为数字") % {"label": label}
                continue
        elif kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[f"attribute[{code}]"] = _("%(label)s 应为日期（如 2026-03-04）") % {"label": label}
                continue
        elif kind == "single":
            if value not in q.get("choices", []):
                errors[f"attribute[{code}]"] = _("%(label)s 的选项无效") % {"label": label}
                continue
        elif kind == "multi":
            values = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
            if any(v not in q.get("choices", []) for v in values):
                errors[f"attribute[{code}]"] = _("%(label)s 的选项无效") % {"label": label}
                continue
            value = values
        else:
            value = str(value)[:500]
        out[code] = value
    if errors:
        raise ValidationError(errors)
    return out


# --- routing ------------------------------------------------------------------------------------


@dataclass
class Route:
    grid_id: int | None  # the located leaf grid (None: outside every grid)
    handler_grid_id: int | None
    handler_department_id: int | None
    reason: str


def route(category: Category, lon: float | None, lat: float | None) -> Route:
    """谁主管谁负责: the category's level in the place's grid chain, or its department; 属地兜底: the
    place's own grid when the catalogue names nobody; outside every grid: the centre's intake queue.
    Answered from the in-process point index, without a query."""
    hit = grids.locate(lon, lat) if lon is not None and lat is not None else None
    if hit is None:
        top = grids.roots().order_by("path").values_list("pk", flat=True).first()
        return Route(None, top, None, _("位置不在任何网格内，转街镇中心受理"))
    leaf = hit.leaf.id
    if category.handler_department_id:
        return Route(leaf, None, category.handler_department_id, _("按派单目录由部门办理"))
    if category.handler_level:
        for ref in reversed(hit.chain):
            if ref.level_key == category.handler_level:
                return Route(leaf, ref.id, None, _("按派单目录由%(level)s办理") % {"level": ref.level})
    return Route(leaf, leaf, None, _("属地兜底：由所在网格办理"))


# --- who sees and who may act -------------------------------------------------------------------


def department_q(user) -> Q | None:
    """Cases dispatched to the user's department, now or before (their history stays theirs)."""
    if getattr(user, "department_id", None):
        return Q(handler_department_id=user.department_id) | Q(
            pk__in=CaseEvent.objects.filter(to_department_id=user.department_id).values("case_id")
        )
    return None


def visible_cases(user) -> QuerySet[Case]:
    """Every case list, search, export and API answer starts here: the user's grids (and, for the
    centre, cases outside every grid), or what was dispatched to their department."""
    qs = Case.objects.select_related(
        "category", "category__parent", "grid", "handler_grid", "handler_department"
    )
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perms.VIEW):
        return qs.none()
    also = department_q(user)
    if any(g.depth == 1 for g in jurisdiction.top_grids(user)):
        outside = Q(grid__isnull=True)
        also = outside if also is None else also | outside
    return jurisdiction.visible(qs, user, also=also)


def public_cases() -> QuerySet[Case]:
    """What may be shown to anyone (Open311): no cases of categories that need a visit to a family
    (disputes, hardship), which would put private matters on a public map."""
    return Case.objects.select_related("category", "handler_department", "handler_grid").filter(
        category__visit_required=False
    )


def public_photo(pk: int) -> CasePhoto | None:
    """A photo of a case the public may see (Open311's media_url); None for any other."""
    return CasePhoto.objects.filter(pk=pk, case__in=public_cases()).first()


def get_case_or_404(user, code: str) -> Case:
    """One answer for "no such case" and "not yours": 404."""
    from django.http import Http404

    case = visible_cases(user).filter(code=code).first()
    if case is None:
        raise Http404
    return case


def is_handler(user, case: Case) -> bool:
    if jurisdiction.sees_everything(user):
        return True
    if case.handler_department_id:
        return case.handler_department_id == getattr(user, "department_id", None)
    return case.handler_grid is not None and jurisdiction.can_see_grid(user, case.handler_grid)


def _require(user, perm: str, case: Case | None = None, *, handler: bool = False) -> None:
    if user is None:
        return  # the system itself (the sweep, modules raising cases)
    if not user.has_perm(perm):
        raise PermissionDenied(_("您没有此操作的权限"))
    if case is not None:
        if handler and not is_handler(user, case):
            raise PermissionDenied(_("该事件不在您这里办理"))
        if not visible_cases(user).filter(pk=case.pk).exists():
            raise PermissionDenied(_("该事件不在您的辖区内"))


def _need(comment: str, what: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("请填写%(what)s") % {"what": what}})
    return comment


def _from(case: Case, *allowed: str) -> None:
    if case.status not in allowed:
        raise ValidationError(
            {"status": _("事件当前为“%(status)s”，不能进行此操作") % {"status": case.get_status_display()}}
        )


# --- deadlines ----------------------------------------------------------------------------------


def _limit(case: Case, stage: str) -> str:
    return (case.category.deadlines or {}).get(stage) or {
        "accept": "4h",
        "dispatch": "4h",
        "handle": "5d",
        "verify": "2d",
    }[stage]


def _start_stage(case: Case, now: datetime, *, due: datetime | None = None) -> None:
    """Set the current stage's deadline and when the sweep must look at the case next."""
    stage = STAGE_OF.get(case.status)
    case.warning = case.overdue = False
    if stage is None:
        case.stage_due_at = case.next_check_at = None
        return
    work = WorkTime.around(now)
    case.stage_due_at = due or work.add(now, _limit(case, stage))
    total = work.minutes_between(now, case.stage_due_at)
    case.next_check_at = (
        work.add_minutes(now, total * (1 - settings.CASE_WARNING_SHARE)) if total else case.stage_due_at
    )


def light(case: Case, now: datetime | None = None) -> str:
    """green / yellow / red, as the lists show it."""
    if not case.is_open or case.status == S.SUSPENDED:
        return ""
    if case.overdue or (case.stage_due_at and (now or timezone.now()) > case.stage_due_at):
        return "red"
    return "yellow" if case.warning else "green"


# --- notifications ------------------------------------------------------------------------------


def follow_url(token: str) -> str:
    """Where a resident follows a report (the receipt's link)."""
    return links.link("report:follow", token)


def _tell_unit(case: Case, key: str, title: str, *, grid=None, department=None) -> None:
    """Tell a unit (its people are looked up when the outbox delivers, not on this request)."""
    outbox.queue(_unit_notices(case, key, title, grid=grid, department=department))


def _unit_notices(case: Case, key: str, title: str, *, grid=None, department=None) -> list:
    grid_id = grid if isinstance(grid, int) or grid is None else grid.pk
    department_id = department if isinstance(department, int) or department is None else department.pk
    if grid_id is None and department_id is None:
        return []
    return [outbox.row(key, grid_id=grid_id, department_id=department_id, title=title,
                       body=case.description[:200], link=case.get_absolute_url())]  # fmt: skip


def _tell_reporter(case: Case, key: str, title: str) -> None:
    outbox.queue(_reporter_notices(case, key, title))


def _reporter_notices(case: Case, key: str, title: str, *, followers: bool = True) -> list:
    link = follow_url(case.token)
    notices = []
    if case.reporter_id:
        notices.append(outbox.row(f"{key}:site", user=case.reporter, title=title, link=link))
    phone = case.reporter_phone  # the field decrypts on load; in memory it is plain
    if phone:
        notices.append(outbox.row(f"{key}:sms", channel="sms", phone=phone, title=title,
                                  body=f"{case.code} {title}", link=link))  # fmt: skip
    # those who followed it from the report page: the progress, without the code or a link
    notices += [
        outbox.row(
            f"{key}:follower:{f.pk}",
            channel="sms",
            phone=f.phone,
            title=_("您关注的问题有新进展"),
            body=title,
        )  # fmt: skip
        for f in (case.followers.all() if followers else ())
    ]
    return notices


# --- writing a step -----------------------------------------------------------------------------


def _step(
    case: Case,
    action: str,
    by,
    *,
    comment: str = "",
    to_grid=None,
    to_department=None,
    photos=(),
    who: str = "",
) -> CaseEvent:
    """One append-only step; `who` names an actor without an account (a resident, the hotline)."""
    event = _event(case, action, by, comment=comment, to_grid=to_grid, to_department=to_department, who=who)
    event.save()
    for image in photos:
        save_photo(case, image, event)
    return event


def _event(case: Case, action: str, by, *, comment: str = "", to_grid=None, to_department=None,
           who: str = "") -> CaseEvent:  # fmt: skip
    name = (getattr(by, "full_name", "") or getattr(by, "username", "")) if by else (who or _("系统"))
    return CaseEvent(
        case=case,
        action=action,
        actor=by,
        actor_name=name[:64],
        comment=comment,
        from_status=getattr(case, "_status_before", case.status),
        to_status=case.status,
        to_grid_id=getattr(to_grid, "pk", to_grid),
        to_department_id=getattr(to_department, "pk", to_department),
        late=bool(case.stage_due_at and timezone.now() > case.stage_due_at),
    )


def _move(case: Case, status: str) -> None:
    case._status_before = case.status  # type: ignore[attr-defined]
    case.status = status


def save_photo(case: Case, upload, event: CaseEvent | None = None) -> CasePhoto:
    """Store one uploaded photo, re-encoded as JPEG (which also drops its EXIF location and metadata)."""
    from django.core.files.base import ContentFile

    data, width, height = core_photos.jpeg(check_photo(upload))
    photo = CasePhoto(case=case, event=event, width=width, height=height)
    photo.image.save("photo.jpg", ContentFile(data), save=True)
    return photo


def check_photo(upload):
    """The photo as a Pillow image, or a Chinese ValidationError (not an image, too large, a type we
    do not take)."""
    return core_photos.check_image(upload, max_bytes=settings.CASE_MAX_PHOTO_BYTES)


# --- intake -------------------------------------------------------------------------------------


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
    errors: dict[str, str] = {}
    try:
        category = category_by_key(data.category)
    except ValidationError as exc:
        raise ValidationError(
            {"category": _("请选择事件类别")} if not data.category else exc.message_dict
        ) from exc
    description = (data.description or "").strip()
    if not description:
        errors["description"] = _("请描述问题")
    elif len(description) > 2000:
        errors["description"] = _("问题描述不能超过 2000 字")
    lon, lat = data.lon, data.lat
    if (lon is None) != (lat is None):
        errors["lat"] = _("经度和纬度要一起提供")
    elif lon is not None and lat is not None:
        if data.crs not in ("wgs84", "gcj02", "bd09"):
            errors["crs"] = _("坐标系必须是 wgs84、gcj02 或 bd09")
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["lon"] = _("经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间")
        else:
            from wangge.grids import coords

            lon, lat = coords.to_wgs84(lon, lat, data.crs)
    phone = (data.reporter_phone or "").replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
        errors["reporter_phone"] = _("电话号码格式不正确")
    if lon is None and not data.address.strip() and not data.grid_code:
        errors["lon"] = _("请在地图上标出位置，或填写地址")
    attributes: dict = {}
    try:
        # orders from the hotline or other modules come without answers to the form's questions
        required = data.channel not in (Case.Channel.HOTLINE, Case.Channel.MODULE)
        attributes = clean_attributes(category, data.attributes or {}, require=required)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
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
                raise ValidationError(
                    {"hotline_number": _("热线工单 %(n)s 已导入") % {"n": data.hotline_number}}
                ) from None
    raise RuntimeError("could not store the case")


def _check_report(
    data: ReportIn, *, by, photos, after_photos
) -> tuple[Category, dict, float | None, float | None]:
    """Everything a report is refused for, said in Chinese before anything is written."""
    category, attributes, lon, lat = clean_report(data)
    if len(photos) > settings.CASE_MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传 %(n)d 张照片") % {"n": settings.CASE_MAX_PHOTOS}})
    for p in [*photos, *after_photos]:
        check_photo(p)
    if data.on_spot:
        if by is None or not by.has_perm(perms.HANDLE) or data.channel != Case.Channel.WORKER:
            raise PermissionDenied(_("只有网格员可以就地解决"))
        if not category.on_spot:
            raise ValidationError({"on_spot": _("该类别不能就地解决，请上报")})
        if not after_photos:
            raise ValidationError({"after_photos": _("就地解决请上传处置后的照片")})
    return category, attributes, lon, lat


def _route_report(category: Category, lon: float | None, lat: float | None, grid_code: str) -> Route:
    """The place's route; a report placed only by a grid's QR code goes by that grid."""
    r = route(category, lon, lat)
    if r.grid_id is None and grid_code:
        g = Grid.objects.filter(code=grid_code, valid_to__isnull=True).first()
        if g is not None:
            r = route(category, *(grid_point(g) or (None, None)))
            if r.grid_id is None:
                r = Route(g.pk, g.pk, None, _("按二维码所在网格"))
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
    notices = _unit_notices(case, f"case:{case.pk}:new", _("新事件待处理：%(c)s") % {"c": case.category.name},
                            grid=r.grid_id or r.handler_grid_id)  # fmt: skip
    return notices + _reporter_notices(
        case,
        f"case:{case.pk}:receipt",
        _("已收到您反映的问题，编号 %(code)s") % {"code": case.code},
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
        receipt = _("已收到您反映的问题，编号 %(code)s") % {"code": case.code}
        notices = _reporter_notices(case, f"case:{case.pk}:receipt", receipt, followers=False)
    else:
        notices = _intake_notices(case, r)
    outbox.queue(notices)
    return case


def grid_point(grid: Grid) -> tuple[float, float] | None:
    """A point inside a grid (lon, lat): where a case placed only by its grid is shown and routed."""
    if not grid.boundary:
        return None
    import shapely

    p = shapely.geometry.shape(grid.boundary).representative_point()
    return p.x, p.y


# --- the workflow -------------------------------------------------------------------------------


@transaction.atomic
def place(case: Case, *, by, lon: float, lat: float, crs: str = "wgs84") -> Case:
    """人工定位: a person puts a case that came without a usable place (a 12345 address that did not
    match) on the map; it is then located and routed as if it had come with the point."""
    from wangge.grids import coords

    _require(by, perms.ACCEPT, case)
    if not case.is_open or case.status not in (S.REPORTED, S.ACCEPTED):
        raise ValidationError({"status": _("只有待受理或待派遣的事件可以重新定位")})
    if crs not in coords.CRS_CHOICES or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({"lon": _("坐标无效")})
    lon, lat = coords.to_wgs84(lon, lat, crs)
    r = route(case.category, lon, lat)
    if r.grid_id is None:
        raise ValidationError({"lon": _("该位置不在任何网格内")})
    case.lon, case.lat, case.grid_id = lon, lat, r.grid_id
    case.handler_grid_id, case.handler_department_id = r.handler_grid_id, r.handler_department_id
    case.save()
    _step(
        case, A.PLACE, by, comment=r.reason, to_grid=r.handler_grid_id, to_department=r.handler_department_id
    )
    _tell_unit(
        case, f"case:{case.pk}:placed", _("新事件待处理：%(c)s") % {"c": case.category.name}, grid=r.grid_id
    )
    return case


@transaction.atomic
def accept(case: Case, *, by, comment: str = "") -> Case:
    _require(by, perms.ACCEPT, case)
    _from(case, S.REPORTED)
    _move(case, S.ACCEPTED)
    case.accepted_at = timezone.now()
    _start_stage(case, case.accepted_at)
    case.save()
    _step(case, A.ACCEPT, by, comment=comment)
    return case


REJECT_REASONS = {
    "not_ours": "不属于受理范围",
    "duplicate": "重复反映",
    "insufficient": "信息不全，无法办理",
}


@transaction.atomic
def reject(case: Case, *, by, reason: str, comment: str) -> Case:
    _require(by, perms.ACCEPT, case)
    _from(case, S.REPORTED, S.ACCEPTED)
    if reason not in REJECT_REASONS:
        raise ValidationError({"reason": _("请选择不予受理的原因")})
    comment = _need(comment, _("不予受理的说明"))
    _move(case, S.REJECTED)
    case.answer = f"{REJECT_REASONS[reason]}：{comment}"
    case.closed_at = timezone.now()
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.REJECT, by, comment=case.answer)
    _tell_reporter(
        case, f"case:{case.pk}:rejected", _("您反映的问题未予受理：%(a)s") % {"a": case.answer[:60]}
    )
    return case


@transaction.atomic
def dispatch(
    case: Case, *, by, to_grid: Grid | None = None, to_department: Department | None = None, comment: str = ""
) -> Case:
    """派遣 to the responsible unit (by default the one routing chose)."""
    _require(by, perms.ACCEPT, case)
    _from(case, S.ACCEPTED)
    if to_grid is None and to_department is None:
        to_grid, to_department = case.handler_grid, case.handler_department
    if to_grid is None and to_department is None:
        raise ValidationError({"to": _("请选择承办网格或部门")})
    now = timezone.now()
    _move(case, S.DISPATCHED)
    case.handler_grid, case.handler_department = (None, to_department) if to_department else (to_grid, None)
    case.dispatched_at = now
    case.returned_until = WorkTime.around(now).add(now, settings.CASE_RETURN_LIMIT) if to_department else None
    _start_stage(case, now)
    case.due_at = case.stage_due_at
    case.save()
    _step(
        case,
        A.DISPATCH,
        by,
        comment=comment,
        to_grid=case.handler_grid,
        to_department=case.handler_department,
    )
    _tell_unit(
        case,
        f"case:{case.pk}:dispatch:{now.timestamp()}",
        _("派遣给您的事件：%(c)s") % {"c": case.category.name},
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


@transaction.atomic
def return_case(case: Case, *, by, comment: str) -> Case:
    """退回: a department gives back a misrouted case within the return window."""
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    if not case.handler_department_id:
        raise ValidationError({"status": _("只有派给部门的事件可以退回")})
    if case.returned_until and timezone.now() > case.returned_until:
        raise ValidationError(
            {
                "status": _("已超过可退回期限（%(limit)s），请办理或联系中心")
                % {"limit": settings.CASE_RETURN_LIMIT}
            }
        )
    comment = _need(comment, _("退回理由"))
    department = case.handler_department
    _move(case, S.ACCEPTED)
    case.handler_department, case.handler_grid = (
        None,
        grids.roots().order_by("path").first() if case.grid is None else _top_of(case),
    )
    now = timezone.now()
    _start_stage(case, now)
    case.save()
    _step(case, A.RETURN, by, comment=comment, to_grid=case.handler_grid)
    _tell_unit(
        case,
        f"case:{case.pk}:return:{now.timestamp()}",
        _("%(d)s 退回事件：%(c)s") % {"d": department, "c": case.code},
        grid=case.handler_grid,
    )
    return case


def _top_of(case: Case) -> Grid | None:
    """The street/town centre of the case's place: the root of its chain."""
    if case.grid is None:
        return grids.roots().order_by("path").first()
    return Grid.objects.filter(path=case.grid.path[: Grid.steplen]).first()


@transaction.atomic
def add_note(case: Case, *, by, comment: str, photos=()) -> CaseEvent:
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    return _step(case, A.NOTE, by, comment=_need(comment, _("处置情况")), photos=photos)


def visit_required_open(user) -> QuerySet[Case]:
    """Open cases of a 五必到 category (family crisis, neighbour dispute...) that the user sees and that no
    one has yet visited on site: a worker must go."""
    visited = CaseEvent.objects.filter(action=A.SITE_VISIT).values("case_id")
    return (
        visible_cases(user)
        .filter(category__visit_required=True, status__in=OPEN)
        .exclude(pk__in=visited)
        .order_by("created")
    )


@transaction.atomic
def site_visit(case: Case, *, by, comment: str, at: datetime | None = None) -> CaseEvent:
    """A worker was on site (五必到): recorded on the case by the visit that went there."""
    _require(by, perms.VIEW, case)
    if case.status not in OPEN:
        raise ValidationError({"case": _("事件 %(code)s 已办结") % {"code": case.code}})
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""
    return _step(case, A.SITE_VISIT, by, comment=f"{when} {comment}".strip())


@transaction.atomic
def handle(case: Case, *, by, comment: str, photos=()) -> Case:
    """反馈: the handler reports it done (with after-photos), for verification."""
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    comment = _need(comment, _("处置结果"))
    _move(case, S.HANDLED)
    case.handled_at = timezone.now()
    case.answer = comment
    _start_stage(case, case.handled_at)
    case.save()
    _step(case, A.HANDLE, by, comment=comment, photos=photos)
    _tell_unit(
        case,
        f"case:{case.pk}:handled:{case.handled_at.timestamp()}",
        _("事件待核查：%(c)s") % {"c": case.code},
        grid=case.grid or case.handler_grid,
    )
    return case


@transaction.atomic
def verify(case: Case, *, by, passed: bool, comment: str = "", photos=()) -> Case:
    """核查 on site: passed closes the case (结案) and asks the reporter to rate it; failed sends it back
    to the same handler (a rework)."""
    _require(by, perms.VERIFY, case)
    _from(case, S.HANDLED)
    now = timezone.now()
    if passed:
        _move(case, S.CLOSED)
        case.outcome, case.closed_at = Case.Outcome.SOLVED, now
        case.rating = case.rating_comment = ""  # after a rework the reporter rates the new answer
        _start_stage(case, now)
        case.save()
        _step(case, A.VERIFY_PASS, by, comment=comment, photos=photos)
        _tell_reporter(
            case,
            f"case:{case.pk}:closed:{now.timestamp()}",
            _("您反映的问题已办结，请评价：%(a)s") % {"a": case.answer[:60]},
        )
        _close_repeats(case, by)
        return case
    _move(case, S.DISPATCHED)
    case.reopened += 1
    _start_stage(case, now)
    case.save()
    _step(case, A.VERIFY_FAIL, by, comment=_need(comment, _("核查不通过的原因")), photos=photos)
    _tell_unit(
        case,
        f"case:{case.pk}:rework:{now.timestamp()}",
        _("核查未通过，请重新处置：%(c)s") % {"c": case.code},
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


@transaction.atomic
def rate(case: Case, *, rating: str, comment: str = "", by=None) -> Case:
    """回访/评价 by the reporter (through the follow link). Not satisfied reopens it to the same handler."""
    if case.status != S.CLOSED or case.outcome not in (
        Case.Outcome.SOLVED,
        Case.Outcome.UNSOLVABLE,
        Case.Outcome.ON_SPOT,
    ):
        raise ValidationError({"rating": _("事件办结后才能评价")})
    if case.rating:
        raise ValidationError({"rating": _("该事件已评价过")})
    if rating not in Case.Rating.values:
        raise ValidationError({"rating": _("请选择满意、基本满意或不满意")})
    reopen = rating == Case.Rating.UNSATISFIED and case.outcome != Case.Outcome.ON_SPOT
    if reopen:
        _need(comment, _("不满意的原因"))
    case.rating, case.rating_comment = rating, (comment or "").strip()[:255]
    now = timezone.now()
    if reopen:
        _move(case, S.DISPATCHED)
        case.reopened += 1
        case.outcome, case.closed_at = "", None
        _start_stage(case, now)
        case.save()
        _step(case, A.RATE, by, comment=f"{case.get_rating_display()}：{case.rating_comment}")
        _step(
            case,
            A.REOPEN,
            None,
            comment=case.rating_comment,
            to_grid=case.handler_grid,
            to_department=case.handler_department,
        )
        _tell_unit(
            case,
            f"case:{case.pk}:reopen:{now.timestamp()}",
            _("群众不满意，请重新办理：%(c)s") % {"c": case.code},
            grid=case.handler_grid,
            department=case.handler_department,
        )
        return case
    case.save()
    _step(case, A.RATE, by, comment=f"{case.get_rating_display()}：{case.rating_comment}".rstrip("："))
    return case


@transaction.atomic
def request_extension(case: Case, *, by, until: datetime, comment: str) -> Case:
    _require(by, perms.HANDLE, case, handler=True)
    _from(case, S.DISPATCHED)
    comment = _need(comment, _("延期理由"))
    if case.stage_due_at and until <= case.stage_due_at:
        raise ValidationError({"until": _("延期后的时限须晚于当前时限")})
    if case.extension_requested_until:
        raise ValidationError({"until": _("已有待审批的延期申请")})
    case.extension_requested_until = until
    case.save()
    _step(
        case,
        A.EXTEND_REQUEST,
        by,
        comment=f"{comment}（申请延至 {timezone.localtime(until):%Y-%m-%d %H:%M}）",
    )
    return case


@transaction.atomic
def decide_extension(case: Case, *, by, approve: bool, comment: str = "") -> Case:
    _require(by, perms.SUPERVISE, case)
    if not case.extension_requested_until:
        raise ValidationError({"status": _("没有待审批的延期申请")})
    until, case.extension_requested_until = case.extension_requested_until, None
    if approve:
        _start_stage(case, timezone.now(), due=until)
        case.due_at = until
        case.save()
        _step(case, A.EXTEND_APPROVE, by, comment=comment)
    else:
        case.save()
        _step(case, A.EXTEND_REFUSE, by, comment=_need(comment, _("不同意延期的理由")))
    return case


@transaction.atomic
def suspend(case: Case, *, by, comment: str) -> Case:
    _require(by, perms.HANDLE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED)
    comment = _need(comment, _("挂起原因"))
    case.suspended_from = case.status
    _move(case, S.SUSPENDED)
    _start_stage(case, timezone.now())
    case.save()
    _step(case, A.SUSPEND, by, comment=comment)
    return case


@transaction.atomic
def resume(case: Case, *, by, comment: str = "") -> Case:
    _require(by, perms.HANDLE, case)
    _from(case, S.SUSPENDED)
    _move(case, case.suspended_from or S.DISPATCHED)
    case.suspended_from = ""
    _start_stage(case, timezone.now())
    case.save()
    _step(case, A.RESUME, by, comment=comment)
    return case


@transaction.atomic
def supervise(case: Case, *, by, comment: str = "") -> Case:
    """督办: marked and watched by the centre or a leader."""
    _require(by, perms.SUPERVISE, case)
    if not case.is_open:
        raise ValidationError({"status": _("事件已办结")})
    case.supervised = True
    case.save()
    _step(case, A.SUPERVISE, by, comment=comment)
    _tell_unit(
        case,
        f"case:{case.pk}:supervise:{timezone.now().timestamp()}",
        _("督办：%(c)s") % {"c": case.code},
        grid=case.handler_grid,
        department=case.handler_department,
    )
    return case


@transaction.atomic
def cannot_solve(case: Case, *, by, explanation: str) -> Case:
    """不能解决: closed with a public explanation to the reporter."""
    _require(by, perms.HANDLE, case)
    _from(case, S.ACCEPTED, S.DISPATCHED, S.SUSPENDED, S.HANDLED)
    explanation = _need(explanation, _("向群众的解释说明"))
    _move(case, S.CLOSED)
    case.outcome, case.answer, case.closed_at = Case.Outcome.UNSOLVABLE, explanation, timezone.now()
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.UNSOLVABLE, by, comment=explanation)
    _tell_reporter(
        case, f"case:{case.pk}:unsolvable", _("关于您反映的问题的说明：%(a)s") % {"a": explanation[:60]}
    )
    _close_repeats(case, by)
    return case


def _close_repeats(case: Case, by) -> None:
    """Repeated 12345 calls grouped under this case are answered with it: each closes with the same
    outcome and answer, as its own step, and its caller is told."""
    for repeat in Case.objects.filter(repeat_of=case, status__in=OPEN).select_related("category"):
        _move(repeat, S.CLOSED)
        repeat.outcome, repeat.answer, repeat.closed_at = case.outcome, case.answer, case.closed_at
        _start_stage(repeat, case.closed_at or timezone.now())
        repeat.save()
        _step(
            repeat,
            A.CLOSE,
            by,
            comment=_("与重复来电的首件 %(code)s 一并办结：%(a)s") % {"code": case.code, "a": case.answer},
        )
        _tell_reporter(
            repeat,
            f"case:{repeat.pk}:closed-with:{case.pk}",
            _("您反映的问题已办结：%(a)s") % {"a": case.answer[:60]},
        )


@transaction.atomic
def mark_duplicate(case: Case, *, of: Case, by, comment: str = "") -> Case:
    """The duplicate closes, linked to the original; its reporter follows the original from then on."""
    _require(by, perms.ACCEPT, case)
    if of.pk == case.pk or of.duplicate_of_id:
        raise ValidationError({"of": _("请选择另一件原始事件")})
    if not case.is_open:
        raise ValidationError({"status": _("事件已办结")})
    _move(case, S.CLOSED)
    case.outcome, case.duplicate_of, case.closed_at = Case.Outcome.DUPLICATE, of, timezone.now()
    case.answer = _("与事件 %(code)s 为同一问题，合并办理") % {"code": of.code}
    _start_stage(case, case.closed_at)
    case.save()
    _step(case, A.DUPLICATE, by, comment=comment or case.answer)
    _tell_reporter(case, f"case:{case.pk}:duplicate", case.answer)
    return case


# --- one step by name (the case page's forms and the API both come through here) -------------------


@dataclass
class StepIn:
    """What a form or an API call gives for one workflow step."""

    comment: str = ""
    reason: str = ""
    to_grid: Grid | None = None
    to_department: Department | None = None
    until: datetime | None = None
    of: Case | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    photos: tuple = ()


ACTIONS = tuple(
    "accept reject dispatch return note handle verify_pass verify_fail extend extend_approve extend_refuse "
    "suspend resume supervise unsolvable duplicate place".split()
)


def perform(case: Case, action: str, *, by, step: StepIn) -> Case:
    """Run the named step on the case (ValidationError in Chinese for an unknown step or missing input)."""
    c = step.comment
    if action == "accept":
        accept(case, by=by, comment=c)
    elif action == "reject":
        reject(case, by=by, reason=step.reason, comment=c)
    elif action == "dispatch":
        dispatch(case, by=by, to_grid=step.to_grid, to_department=step.to_department, comment=c)
    elif action == "return":
        return_case(case, by=by, comment=c)
    elif action == "note":
        add_note(case, by=by, comment=c, photos=step.photos)
    elif action == "handle":
        handle(case, by=by, comment=c, photos=step.photos)
    elif action in ("verify_pass", "verify_fail"):
        verify(case, by=by, passed=action == "verify_pass", comment=c, photos=step.photos)
    elif action == "extend":
        if step.until is None:
            raise ValidationError({"until": _("请填写延期后的时限")})
        request_extension(case, by=by, until=step.until, comment=c)
    elif action in ("extend_approve", "extend_refuse"):
        decide_extension(case, by=by, approve=action == "extend_approve", comment=c)
    elif action == "suspend":
        suspend(case, by=by, comment=c)
    elif action == "resume":
        resume(case, by=by, comment=c)
    elif action == "supervise":
        supervise(case, by=by, comment=c)
    elif action == "unsolvable":
        cannot_solve(case, by=by, explanation=c)
    elif action == "duplicate":
        if step.of is None:
            raise ValidationError({"of": _("请选择另一件原始事件")})
        mark_duplicate(case, of=step.of, by=by, comment=c)
    elif action == "place":
        if step.lon is None or step.lat is None:
            raise ValidationError({"lon": _("请在地图上点选位置")})
        place(case, by=by, lon=step.lon, lat=step.lat, crs=step.crs)
    else:
        raise ValidationError({"action": _("未知的操作：%(a)s") % {"a": action}})
    return case


# --- the sweep ----------------------------------------------------------------------------------


def sweep(now: datetime | None = None, *, batch: int = 500) -> dict:
    """Yellow, red and escalation for the cases whose time has come (next_check_at <= now): reads only
    those, through a partial index, so its cost follows the cases that change, not the open ones.
    Each batch is one transaction of three bulk statements (cases, events, notifications); rows another
    worker holds are skipped (PostgreSQL). Idempotent: a case handled here gets a later next_check_at."""
    now = now or timezone.now()
    counts = {"warned": 0, "escalated": 0}
    while True:
        # a plain indexed look first: most minutes nothing is due, and no write lock is taken for that
        if not Case.objects.filter(next_check_at__lte=now).exists():
            return counts
        with transaction.atomic():
            qs = Case.objects.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            due = list(qs.select_related("category", "grid", "handler_grid", "escalated_to")[:batch])
            if not due:
                return counts
            parents = _parents_of(due)
            events: list[CaseEvent] = []
            work = WorkTime.around(now)
            for case in due:
                if not case.is_open or case.status == S.SUSPENDED or case.stage_due_at is None:
                    case.next_check_at = None
                elif now < case.stage_due_at:
                    case.warning, case.next_check_at = True, case.stage_due_at
                    counts["warned"] += 1
                else:
                    events.append(_escalate(case, now, parents, work))
                    counts["escalated"] += 1
            Case.objects.bulk_update(
                due, ["next_check_at", "warning", "overdue", "escalation_level", "escalated_to", "supervised"]
            )
            CaseEvent.objects.bulk_create(events)
            outbox.queue([
                outbox.row(f"case:{e.case_id}:escalate:{e.case.escalation_level}", grid_id=e.to_grid_id,
                           title=_("超时事件升级：%(c)s") % {"c": e.case.code}, body=e.case.description[:200],
                           link=e.case.get_absolute_url())
                for e in events if e.to_grid_id
            ])  # fmt: skip


def _parents_of(due: list[Case]) -> dict[str, Grid]:
    """The grids one level up from where each case stands, in one query, by path."""
    paths = set()
    for case in due:
        current = case.escalated_to or case.handler_grid or case.grid
        if current is not None and current.depth > 1:
            paths.add(current.path[: (current.depth - 1) * Grid.steplen])
        if case.grid is not None:
            paths.add(case.grid.path[: Grid.steplen])
    return {g.path: g for g in Grid.objects.filter(path__in=paths)}


def _escalate(case: Case, now: datetime, parents: dict[str, Grid], work: WorkTime) -> CaseEvent:
    """One level up the chain (grid → community → street → the leader's view); returns its event."""
    current = case.escalated_to or case.handler_grid or case.grid
    if case.handler_department_id and case.escalated_to is None:
        target = parents.get(case.grid.path[: Grid.steplen]) if case.grid else _top_of(case)
    elif current is not None and current.depth > 1:
        target = parents.get(current.path[: (current.depth - 1) * Grid.steplen])
    else:
        target = None  # already at the top: the leader's supervision list
    case.overdue, case.warning = True, True
    case.escalation_level += 1
    if target is not None:
        case.escalated_to = target
    else:
        case.supervised = True
    # look again after another stage-length of working time: each further lapse goes one more level up
    case.next_check_at = work.add(now, _limit(case, STAGE_OF.get(case.status, "handle")))
    return CaseEvent(
        case=case, action=A.OVERDUE, actor_name=_("系统"), from_status=case.status, to_status=case.status,
        to_grid=target, late=True, at=now,
        comment=_("超过本环节时限，升级至 %(unit)s") % {"unit": target.name if target else _("领导督办")},
    )  # fmt: skip


# --- duplicates ---------------------------------------------------------------------------------


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
    from rapidfuzz import fuzz

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
    from django.core import signing

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
    from django.core import signing

    try:
        pk = signing.loads(ref, salt=FOLLOW_SALT, max_age=86400)
    except signing.BadSignature:
        raise ValidationError({"ref": _("该提示已过期，请重新标出位置后再试")}) from None
    case = public_cases().filter(pk=pk, status__in=OPEN).first()
    if case is None:
        raise ValidationError({"ref": _("该问题已办结或不能关注")})
    phone = (phone or "").replace(" ", "").replace("-", "")
    if not (phone.isdigit() and 7 <= len(phone) <= 12):
        raise ValidationError({"reporter_phone": _("请填写手机号，以便短信告诉您处理进展")})
    CaseFollower.objects.get_or_create(
        case=case, phone_index=crypto.blind_index(phone), defaults={"phone": phone}
    )
    return case


def follow(case: Case) -> Case:
    """What the reporter follows: the original when theirs was merged into it."""
    return case.duplicate_of if case.duplicate_of_id and case.duplicate_of else case
