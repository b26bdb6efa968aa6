"""Open311 GeoReport v2 over the cases module: the catalogue's subclasses are the services, cases are the
service requests. Only what the public may see leaves here: no reporter names or phones, and no cases of
categories that need a visit to a family (disputes, hardship), which would place private matters on a map."""

from __future__ import annotations

from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from wangge.cases import services as cases
from wangge.cases.models import Case, Category

MEDIA_SALT = "wangge.open311.media"


def media_ref(photo_pk: int) -> str:

    return signing.dumps(photo_pk, salt=MEDIA_SALT)


def public_photo(ref: str):
    """The photo a media_url names, while its case is still one the public may see; else None."""

    try:
        pk = signing.loads(ref, salt=MEDIA_SALT)
    except signing.BadSignature:
        return None
    return cases.public_photo(pk)


DATATYPES = {"text": "string", "number": "number", "date": "datetime", "single": "singlevaluelist",
             "multi": "multivaluelist"}  # fmt: skip


def offered() -> QuerySet[Category]:
    """The services Open311 offers: the categories whose requests it can show back. A private one (a
    family's dispute, hardship) is not offered at all: a client must be able to read what it created."""
    return cases.categories().filter(visit_required=False)


def services() -> list[dict]:
    out = []
    for c in offered().order_by("order", "pk"):
        out.append(
            {
                "service_code": c.key,
                "service_name": c.name,
                "description": f"{c.parent.name} / {c.name}" if c.parent else c.name,
                "metadata": bool(c.attributes),
                "type": "realtime",
                "keywords": ",".join(x for x in (c.parent.name if c.parent else "", c.name_en) if x),
                "group": c.parent.name if c.parent else "",
            }
        )
    return out


def definition(category: Category) -> dict:
    attributes = []
    for order, q in enumerate(category.attributes, start=1):
        a = {
            "variable": True,
            "code": q["code"],
            "datatype": DATATYPES.get(q.get("type", "text"), "string"),
            "required": bool(q.get("required")),
            "datatype_description": "",
            "order": order,
            "description": q["label"],
        }
        if q.get("type") in ("single", "multi"):
            a["values"] = [{"key": v, "name": v} for v in q.get("choices", [])]
        attributes.append(a)
    return {"service_code": category.key, "attributes": attributes}


def public_requests() -> QuerySet[Case]:
    return cases.public_cases()


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def as_request(case: Case, request=None) -> dict:
    agency = (
        case.handler_department.name
        if case.handler_department
        else (case.handler_grid.name if case.handler_grid else "")
    )
    media = ""
    photos = list(case.photos.all())  # prefetched by the list
    first = min(photos, key=lambda p: p.pk) if photos else None
    if first is not None and request is not None:
        # a reference to the photo alone, never the case's follow token (which opens the whole case)
        media = request.build_absolute_uri(reverse("open311:media", args=[media_ref(first.pk)]))
    return {
        "service_request_id": case.code,
        "status": "open" if case.is_open else "closed",
        "status_notes": case.answer if not case.is_open else case.get_status_display(),
        "service_name": case.category.name,
        "service_code": case.category.key,
        "description": case.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _iso(case.created),
        "updated_datetime": _iso(case.last_updated),
        "expected_datetime": _iso(case.due_at or case.stage_due_at),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        **_point(case),
        "media_url": media,
    }


def _point(case: Case) -> dict:
    """lat and long as numbers: the case's point, else its grid's (a report placed by address alone), else
    none at all (the spec's fields are numbers: never an empty string)."""
    if case.lat is not None and case.lon is not None:
        return {"lat": case.lat, "long": case.lon}
    grid = case.grid or case.handler_grid
    point = cases.grid_point(grid) if grid is not None else None
    return {"lat": point[1], "long": point[0]} if point else {}
