from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from wangge.core import text


class ChineseFirstMiddleware:
    """Pages are Chinese unless the user picked English (the language cookie), whatever the browser says.

    Government desktops often run English-language browsers; the language switch in the page header is
    the one way to change it. API and Open311 clients are programs: they ask with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(("/api/", "/open311/")):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RequestGuardMiddleware:
    """Refuse what no view can take, before anything reads it, with a Chinese message (JSON under /api/ and
    /open311/, a page elsewhere):
    - a request too large: 413. A form or JSON body is held to DATA_UPLOAD_MAX_MEMORY_SIZE (Django would
      refuse it later, mid-way through another middleware, as a bare 400); an upload with files to
      MAX_REQUEST_BYTES;
    - a query string holding control characters (`core.text`; PostgreSQL cannot compare text with NUL)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return too_large(request, limit)
        if multipart and request.method == "POST":
            # its fields (not its files) are held to DATA_UPLOAD_MAX_MEMORY_SIZE as they are parsed: parsed
            # here, where the refusal can still be answered as such (CSRF reads them next anyway)
            try:
                request.POST  # noqa: B018
            except RequestDataTooBig:
                return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if (where := text.first_unclean(dict(request.GET.lists()))) is not None:
            return unclean_query(request, where.split(".")[0])
        return self.get_response(request)


def json_error(
    request, status: int, detail: str, code: str, errors: dict | None = None, codes: dict | None = None
):
    """The error in the door's own format: Open311's list of {code, description}, or the API's shape;
    None for a page."""

    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": status, "description": detail}], safe=False, status=status,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    if request.path.startswith("/api/"):
        body = {"detail": detail, "code": code, "errors": errors or {}, "codes": codes or {}}
        return JsonResponse(body, status=status)
    return None


def unclean_query(request, name: str):

    answer = json_error(
        request, 422, text.message(), "invalid", {name: [text.message()]}, {name: ["invalid"]}
    )
    return answer or render(request, "400.html", status=400)


def too_large(request, limit: int):

    mb = f"{limit / 1024 / 1024:g}"
    answer = json_error(request, 413, _("提交的内容太大（上限 %(mb)s MB）") % {"mb": mb}, "too_large")
    return answer or render(request, "413.html", {"limit_mb": mb}, status=413)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the header settings.CLIENT_IP_HEADER names (the
    same address the rate limits count by)."""

    header = settings.CLIENT_IP_HEADER
    return (request.META.get(header) if header else None) or request.META.get("REMOTE_ADDR", "")


class PrivateResponseMiddleware:
    """What a signed-in user is shown, every download and a resident's own follow page carry personal data:
    no browser or proxy cache keeps them (Cache-Control: no-store). Every response names the browser
    features pages may use (Permissions-Policy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or "attachment" in response.get("Content-Disposition", "")
            or request.path.startswith("/report/case/")
        ):
            response.headers.pop("Cache-Control", None)
            patch_cache_control(response, no_store=True, private=True)
        return response
