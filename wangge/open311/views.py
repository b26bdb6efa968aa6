"""GeoReport v2 endpoints at /open311/v2/ (http://wiki.open311.org/GeoReport_v2): every resource in
.json and .xml, POST form-encoded, errors as the spec's list of {code, description} with the HTTP status."""

from __future__ import annotations

import hmac
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit

from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.core import dates, photos
from wangge.open311 import services as o311

MAX_REQUESTS = 1000  # the spec's default window is 90 days / 1000 requests


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status, self.description = status, description


def _xml(root_name: str, item_name: str, items: list[dict]) -> bytes:
    root = ET.Element(root_name)
    for item in items:
        _add(ET.SubElement(root, item_name), item)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")


def _add(el: ET.Element, data: dict) -> None:
    for key, value in data.items():
        if isinstance(value, list):
            holder = ET.SubElement(el, key)
            child = {
                "attributes": "attribute",
                "values": "value",
                "endpoints": "endpoint",
                "formats": "format",
            }.get(key, key[:-1])
            for v in value:
                if isinstance(v, dict):
                    _add(ET.SubElement(holder, child), v)
                else:
                    ET.SubElement(holder, child).text = str(v)
        elif isinstance(value, dict):
            _add(ET.SubElement(el, key), value)
        else:
            sub = ET.SubElement(el, key)
            sub.text = "true" if value is True else "false" if value is False else str(value)


def respond(fmt: str, root: str, item: str, items: list[dict], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_xml(root, item, items), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(items, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", "error", [{"code": status, "description": description}], status)


def endpoint(view):
    """Format from the URL, the spec's errors for every failure."""

    def wrapped(request, *args, fmt: str = "json", **kwargs):
        if fmt not in ("json", "xml"):
            return error("json", 404, "unknown format: use .json or .xml")
        try:
            return view(request, fmt, *args, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


@endpoint
def discovery(request, fmt):
    base = (
        request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
        + "/"
    )
    data = {
        "changeset": datetime(2026, 1, 1).isoformat(),
        "contact": "网格化服务管理中心",
        "key_service": (
            "POST requests need an api_key: ask the centre's administrator (网格化服务管理中心) for one"
            if settings.OPEN311_API_KEY
            else "No api_key is needed to POST requests here; the centre's administrator can say more"
        ),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-01-01T00:00:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            },
        ],
    }
    if fmt == "xml":
        root = ET.Element("discovery")
        _add(root, data)
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@endpoint
def service_list(request, fmt):
    return respond(fmt, "services", "service", o311.services())


@endpoint
def service_definition(request, fmt, code: str):
    category = o311.offered().filter(key=code).first()
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    data = o311.definition(category)
    if fmt == "xml":
        root = ET.Element("service_definition")
        _add(root, data)
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@endpoint
@ratelimit(key="ip", rate=lambda g, r: settings.RATE_OPEN311, method="POST", block=True)
def requests_(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        raise Open311Error(405, "method not allowed")
    qs = o311.public_requests().prefetch_related("photos")
    p = request.GET
    ids = _listed(p, "service_request_id")
    if ids:  # "this overrides all other arguments"
        qs = qs.filter(code__in=ids)
    else:
        codes = _listed(p, "service_code")
        if codes:
            qs = qs.filter(category__key__in=codes)
        start, end = _window(p)
        qs = qs.filter(created__gte=start, created__lte=end)
        wanted = set(_listed(p, "status"))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or open,closed")
        if wanted == {"open"}:
            qs = qs.filter(status__in=cases.OPEN)
        elif wanted == {"closed"}:
            qs = qs.exclude(status__in=cases.OPEN)
    items = [o311.as_request(c, request) for c in qs.order_by("-created")[:MAX_REQUESTS]]
    return respond(fmt, "service_requests", "request", items)


def _listed(p, name: str) -> list[str]:
    """A parameter that may be comma delimited or declared several times."""
    return [x.strip() for raw in p.getlist(name) for x in raw.split(",") if x.strip()]


WINDOW = timedelta(days=90)


def _window(p) -> tuple[datetime, datetime]:
    """The requested_datetime range: start_date and end_date as given, "may not span more than 90 days";
    one alone reaches 90 days from it; neither is the most recent 90 days."""
    moments = {}
    for name in ("start_date", "end_date"):
        try:
            moments[name] = dates.parse_datetime(p.get(name), field=name)
        except ValidationError:
            raise Open311Error(400, f"{name} must be a w3 datetime, e.g. 2026-03-04T09:30:00+08:00") from None
    start, end = moments["start_date"], moments["end_date"]
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


@endpoint
def request_detail(request, fmt, code: str):
    case = o311.public_requests().filter(code=code).first()
    if case is None:
        raise Open311Error(404, f"service_request_id {code} not found")
    return respond(fmt, "service_requests", "request", [o311.as_request(case, request)])


@endpoint
def token(request, fmt, value: str):
    case = o311.public_requests().filter(token=value).first()
    if case is None:
        raise Open311Error(404, "token not found")
    return respond(fmt, "service_requests", "request", [{"service_request_id": case.code, "token": value}])


def _float(p, name: str) -> float | None:
    raw = p.get(name, "")
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a number") from exc


def _create(request, fmt):
    p = request.POST
    expected = settings.OPEN311_API_KEY
    if expected and not hmac.compare_digest(p.get("api_key", ""), expected):
        raise Open311Error(403, "api_key is missing or invalid")
    code = p.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required")
    if not o311.offered().filter(key=code).exists():
        raise Open311Error(404, f"service_code {code} not found")
    lat, lon = _float(p, "lat"), _float(p, "long")
    if (lat is None or lon is None) and not p.get("address_string") and not p.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    name = " ".join(x for x in (p.get("last_name", ""), p.get("first_name", "")) if x)
    attributes = {k[10:-1]: (p.getlist(k) if len(p.getlist(k)) > 1 else p.get(k))
                  for k in p if k.startswith("attribute[") and k.endswith("]")}  # fmt: skip
    data = cases.ReportIn(
        category=code,
        description=p.get("description", ""),
        lon=lon,
        lat=lat,
        address=p.get("address_string", "") or p.get("address_id", ""),
        reporter_name=name,
        reporter_phone=p.get("phone", ""),
        attributes=attributes,
        channel=Case.Channel.OPEN311,
    )
    try:
        case = cases.report(data)
    except ValidationError as exc:
        messages = "; ".join(f"{k}: {m}" for k, v in exc.message_dict.items() for m in v)
        raise Open311Error(400, messages) from exc
    except PermissionDenied as exc:
        raise Open311Error(403, str(exc)) from exc
    notice = "已受理，可凭编号查询进度"
    return respond(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": case.code, "service_notice": notice, "account_id": ""}],
    )


def media(request, ref: str):
    """A request's photo (its media_url): served while its case is one the public may see."""
    photo = o311.public_photo(ref)
    if photo is None:
        raise Http404
    return photos.served(photo.image, cache_control="public, max-age=3600")
