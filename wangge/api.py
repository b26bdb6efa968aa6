"""The JSON API under /api/: one NinjaAPI, each app adds its router; one error path."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from wangge.accounts import services as accounts
from wangge.accounts.api import router as accounts_router
from wangge.audit.api import router as audit_router
from wangge.cases.api import router as cases_router
from wangge.command.api import router as command_router
from wangge.core import text
from wangge.core.errors import codes_of
from wangge.engagement.api import router as engagement_router
from wangge.fieldwork.api import router as fieldwork_router
from wangge.fieldwork.api_more import router as fieldwork_more_router
from wangge.grids.api import router as grids_router
from wangge.mediation.api import router as mediation_router
from wangge.registry.api import router as registry_router


class SessionAuth(APIKeyCookie):
    """The pages' session cookie, with Django's CSRF check on writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


class TokenAuth(HttpBearer):
    """Personal API tokens for scripts: `Authorization: Bearer wg_...`."""

    def authenticate(self, request, token):
        user = accounts.user_for_token(token)
        if user is not None:
            request.user = user
        return user


# What any operation may answer besides its own successes, all in the error shape below: declared in the
# document so that clients (and schemathesis) can rely on it.
ERROR_STATUSES = {
    400: "请求体不是有效的 JSON",
    401: "未登录或令牌无效",
    403: "没有权限",
    404: "未找到（或不在您的辖区内）",
    409: "与已有记录冲突",
    413: "提交的内容太大",
    422: "输入有误：errors 按字段列出",
    429: "请求太频繁",
    500: "服务器内部错误",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "给人看的一句话"},
        "code": {"type": "string", "description": "稳定的错误代码"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "codes": {
            "type": "object",
            "description": "每个字段的错误代码（见 wangge/core/errors.py：required、unknown、invalid…）",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code", "errors", "codes"],
}


class UncleanText(Exception):
    def __init__(self, where: str):
        self.where = where


class TextParser(Parser):
    """JSON whose text holds control characters or lone surrogates is refused at the door, naming the field
    (`core.text`; query strings: `core.middleware.RequestGuardMiddleware`)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if (where := text.first_unclean(data)) is not None:
            raise UncleanText(where)  # ninja wraps it in a 400; `http_error` answers 422 with the field
        return data


class WanggeAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema["paths"].values():
            for op in operations.values():
                for status, description in ERROR_STATUSES.items():
                    op["responses"].setdefault(status, {"description": description, **ref})
        return schema


api = WanggeAPI(
    title="Wangge API",
    version="1",
    description=(
        "网格化服务管理平台接口。认证：页面会话（写操作需 CSRF），或个人令牌 `Authorization: Bearer wg_…`。"
    ),
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    parser=TextParser(),
)
log = logging.getLogger("wangge.api")


# Every error the API answers has one shape: {"detail": a sentence to show, "code": a stable key to branch
# on, "errors": {field: [messages]} (empty unless input was refused), "codes": {field: [codes]} beside
# them (core/errors.py)}, in Chinese (English when asked).
def error(
    request, status: int, detail: str, code: str, errors: dict | None = None, codes: dict | None = None
):
    body = {"detail": detail, "code": code, "errors": errors or {}, "codes": codes or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error(request, 422, _first(errors), "invalid", errors, codes_of(exc))


def _first(errors: dict) -> str:
    """The first message, to show where a client shows one sentence."""
    for messages in errors.values():
        if messages:
            return str(messages[0])
    return _("输入有误，请修改后重试")


_REQUEST_ERRORS = {
    "missing": gettext_lazy("必填"),
    "int_parsing": gettext_lazy("应为整数"),
    "int_from_float": gettext_lazy("应为整数"),
    "float_parsing": gettext_lazy("应为数字"),
    "date_from_datetime_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "date_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "datetime_parsing": gettext_lazy("时间格式应为 YYYY-MM-DDTHH:MM"),
    "datetime_from_date_parsing": gettext_lazy("时间格式应为 YYYY-MM-DDTHH:MM"),
    "bool_parsing": gettext_lazy("应为 true 或 false"),
    "string_type": gettext_lazy("应为文字"),
    "dict_type": gettext_lazy("应为 JSON 对象"),
    "list_type": gettext_lazy("应为列表"),
    "json_invalid": gettext_lazy("请求体不是有效的 JSON"),
    "greater_than_equal": gettext_lazy("数值太小"),
    "greater_than": gettext_lazy("数值太小"),
    "less_than_equal": gettext_lazy("数值太大"),
    "less_than": gettext_lazy("数值太大"),
    "string_too_long": gettext_lazy("内容太长"),
    "too_long": gettext_lazy("条目太多"),
}


@api.exception_handler(RequestValidationError)
def request_error(request, exc: RequestValidationError):
    """Malformed requests: the same shape as service errors, in Chinese."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        field = ".".join(loc) or "__all__"
        errors.setdefault(field, []).append(str(_REQUEST_ERRORS.get(err.get("type", ""), _("格式不正确"))))
        codes.setdefault(field, []).append(_REQUEST_CODES.get(err.get("type", ""), "invalid"))
    return error(request, 422, _first(errors), "invalid", errors, codes)


_REQUEST_CODES = {
    "missing": "required",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "string_too_long": "out_of_range",
    "too_long": "too_many",
}


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, _("未找到"), "not_found")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return error(request, 403, _("没有权限执行此操作"), "forbidden")


_HTTP_ERRORS = {
    400: ("bad_request", gettext_lazy("请求体不是有效的 JSON")),  # ninja's only 400: a body it cannot parse
    401: ("unauthenticated", gettext_lazy("请先登录或提供有效的 API 令牌")),
    403: ("forbidden", gettext_lazy("没有权限执行此操作")),
    404: ("not_found", gettext_lazy("未找到")),
    405: ("method_not_allowed", gettext_lazy("不支持该请求方法")),
    409: ("conflict", gettext_lazy("与已有记录冲突")),
    413: ("too_large", gettext_lazy("提交的内容太大")),
    429: ("throttled", gettext_lazy("请求太频繁，请稍后再试")),
}


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, UncleanText):
        where = exc.__cause__.where
        return error(request, 422, text.message(), "invalid", {where: [text.message()]}, {where: ["invalid"]})
    code, detail = _HTTP_ERRORS.get(exc.status_code, ("error", gettext_lazy("请求有误")))
    return error(request, exc.status_code, str(detail), code)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return error(request, 413, _("提交的内容太大（上限 %(mb)s MB）") % {"mb": _megabytes()}, "too_large")


def _megabytes() -> str:

    return f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}"


@api.exception_handler(Exception)
def server_error(request, exc: Exception):
    """Anything else: logged, told to Django's listeners (the test client re-raises it), and answered
    without a trace of what went wrong inside."""
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    got_request_exception.send(sender=None, request=request)
    return error(request, 500, _("服务器内部错误，已记录，请稍后重试"), "server_error")


def register_routers() -> None:
    api.add_router("/", grids_router)
    api.add_router("/", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/", registry_router)
    api.add_router("/", cases_router)
    api.add_router("/", fieldwork_router)
    api.add_router("/", fieldwork_more_router)
    api.add_router("/", mediation_router)
    api.add_router("/", command_router)
    api.add_router("/", engagement_router)


register_routers()
