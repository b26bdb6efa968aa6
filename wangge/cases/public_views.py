"""The resident's pages: report a problem from a phone (no login, no app), get a receipt, follow the case
and rate the answer. Everything a resident sees of a case is through its unguessable token."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from wangge.cases import services as cases
from wangge.cases.forms import FollowForm, RatingForm, ReportForm
from wangge.cases.models import Case, CasePhoto
from wangge.core import idempotency, photos
from wangge.core.forms import refusal
from wangge.grids import services as grids


def _float(value: str) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def report_form(
    request, *, channel: str = Case.Channel.RESIDENT, template: str = "cases/report.html", extra=None
):
    """GET: the form (with a fresh client id, so a resubmitted form is the same report); POST: the case."""
    code = request.GET.get("grid") or request.POST.get("grid_code", "")
    grid = grids.open_grid(code)
    values = request.POST if request.method == "POST" else {}
    device = idempotency.device_of(request) or idempotency.new_device()
    response = _report_form(request, channel, template, extra, grid, values, device)
    idempotency.remember_device(request, response, device)  # whose client ids the form's reports carry
    return response


def _report_form(request, channel, template, extra, grid, values, device):
    errors: dict[str, list[str]] = {}
    captcha = _captcha_form(request, channel)
    if captcha is not None and request.method == "POST" and not captcha.is_valid():
        errors = {"captcha": [_("请按图片算出结果后填写")]}
    elif request.method == "POST":
        form = ReportForm(request.POST)
        data = form.report_in(channel=channel, grid=grid) if form.is_valid() else None
        try:
            if data is None:
                raise refusal(form)
            case = cases.report(
                data,
                by=request.user if request.user.is_authenticated else None,
                device=device,
                photos=request.FILES.getlist("photos"),
                after_photos=request.FILES.getlist("after_photos"),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        except PermissionDenied as exc:
            errors = {"on_spot": [str(exc)]}
        else:
            if channel == Case.Channel.RESIDENT:  # the resident follows the case by its token
                return HttpResponseRedirect(cases.follow_url(case.token))
            return redirect(case.get_absolute_url())
    groups: dict[str, list] = {}
    for c in cases.categories():
        groups.setdefault(c.parent.label, []).append(c)
    context = {
        "grid": grid,
        "groups": groups,
        "errors": errors,
        "values": values,
        "client_id": values.get("client_id") or uuid.uuid4().hex,
        "max_photos": settings.CASE_MAX_PHOTOS,
        "channel": channel,
        "captcha": captcha,
        **(extra or {}),
    }
    return render(request, template, context, status=400 if errors else 200)


@ratelimit(key="ip", rate=lambda g, r: settings.RATE_REPORT, group="report", method="POST", block=True)
def _captcha_form(request, channel: str):
    """The picture CAPTCHA a site may ask of anonymous residents (settings.REPORT_CAPTCHA), or None."""
    if not settings.REPORT_CAPTCHA or channel != Case.Channel.RESIDENT or request.user.is_authenticated:
        return None
    from captcha.fields import CaptchaField  # only where a deployment switches the CAPTCHA on

    class CaptchaForm(forms.Form):
        captcha = CaptchaField(label=_("验证码"))

    return CaptchaForm(request.POST if request.method == "POST" else None)


def report(request):
    return report_form(request)


def category_questions(request):
    """The extra questions of a category (htmx, on picking one)."""
    key = request.GET.get("category", "")
    category = cases.categories().filter(key=key).first()
    return render(request, "cases/_questions.html", {"category": category, "values": {}})


@ratelimit(key="ip", rate=lambda g, r: settings.RATE_NEARBY, block=True)
def nearby(request):
    """Open cases near the pinned point in the same category: "is it one of these?". Only what a passer-by
    sees anyway (`cases.nearby_hints`): anyone can ask this, for any point of the town."""
    lon, lat = _float(request.GET.get("lon", "")), _float(request.GET.get("lat", ""))
    found = []
    if lon is not None and lat is not None and -180 <= lon <= 180 and -90 <= lat <= 90:
        category = cases.categories().filter(key=request.GET.get("category", "")).first()
        found = cases.nearby_hints(lon, lat, category, request.GET.get("description", ""))
    return render(request, "cases/_nearby.html", {"found": found})


@require_POST
@ratelimit(key="ip", rate=lambda g, r: settings.RATE_REPORT, group="report", block=True)
def follow_nearby(request):
    """ "The same as mine": the reporter follows that case by SMS instead of reporting it again (the hint's
    button submits the report form here, phone and all)."""
    try:
        form = FollowForm(request.POST)
        form.is_valid()  # two texts: nothing to refuse before the verb
        cases.follow_by_phone(form.cleaned_data["ref"], form.cleaned_data["reporter_phone"])
    except ValidationError as exc:
        return render(request, "cases/follow_nearby.html", {"errors": exc.messages}, status=400)
    return render(request, "cases/follow_nearby.html", {"errors": []})


def follow(request, token: str):
    case = Case.objects.select_related("category", "duplicate_of").filter(token=token).first()
    if case is None:
        raise Http404
    shown = cases.follow(case)
    events = shown.events.exclude(action__in=["note", "warn"]).order_by("at", "pk")
    return render(request, "cases/follow.html", {"case": case, "shown": shown, "events": events,
                                                 "ratings": Case.Rating.choices})  # fmt: skip


@require_POST
def rate(request, token: str):
    case = get_object_or_404(Case, token=token)
    form = RatingForm(request.POST)
    form.is_valid()  # two texts: the verb says what is wrong
    try:
        cases.rate(case, **form.cleaned_data, by=request.user if request.user.is_authenticated else None)
    except ValidationError as exc:
        messages.error(request, "；".join(m for v in exc.message_dict.values() for m in v))
    return redirect("report:follow", token=token)


def public_photo(request, token: str, pk: int):
    """A photo of a case, for the reporter (the token) — staff use the jurisdiction-checked view."""
    photo = get_object_or_404(CasePhoto, pk=pk, case__token=token)
    return _photo_response(photo)


def _photo_response(photo: CasePhoto) -> HttpResponse:
    return photos.served(photo.image, cache_control="private, max-age=3600")


def grid_outlines(request):
    """The outlines a resident pins against (what the public boards show anyway: names and shapes, no
    people): the top two levels, and the QR code's own grid marked."""

    features = []
    for root in grids.roots():
        for f in grids.subtree_geojson(root, max_depth=1)["features"]:
            features.append(
                {
                    "type": "Feature",
                    "geometry": f["geometry"],
                    "properties": {"name": f["properties"]["name"]},
                }
            )
    here = grids.open_grid(request.GET.get("grid", ""))
    if here is not None and here.boundary:
        features.append(
            {"type": "Feature", "geometry": here.boundary, "properties": {"name": here.name, "here": True}}
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})
