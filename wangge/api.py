"""The JSON API under /api/: one NinjaAPI, each app adds its router; one error path."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import APIKeyCookie, HttpBearer

from wangge.accounts import services as accounts


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


api = NinjaAPI(
    title="Wangge API",
    version="1",
    description=(
        "网格化服务管理平台接口。认证：页面会话（写操作需 CSRF），或个人令牌 `Authorization: Bearer wg_…`。"
    ),
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        body = exc.message_dict
    else:
        body = {"__all__": exc.messages}
    return api.create_response(request, body, status=422)


_REQUEST_ERRORS = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "json_invalid": "请求体不是有效的 JSON",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
}


@api.exception_handler(RequestValidationError)
def request_error(request, exc: RequestValidationError):
    """Malformed requests: the same {field: [messages]} shape as service errors, in Chinese."""
    body: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        field = ".".join(loc) or "__all__"
        body.setdefault(field, []).append(_REQUEST_ERRORS.get(err.get("type", ""), "格式不正确"))
    return api.create_response(request, body, status=422)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("未找到")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": _("没有权限执行此操作")}, status=403)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": _("请先登录或提供有效的 API 令牌")}, status=401)


def register_routers() -> None:
    from wangge.accounts.api import router as accounts_router
    from wangge.audit.api import router as audit_router
    from wangge.cases.api import router as cases_router
    from wangge.fieldwork.api import router as fieldwork_router
    from wangge.grids.api import router as grids_router
    from wangge.mediation.api import router as mediation_router
    from wangge.registry.api import router as registry_router

    api.add_router("/", grids_router)
    api.add_router("/", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/", registry_router)
    api.add_router("/", cases_router)
    api.add_router("/", fieldwork_router)
    api.add_router("/", mediation_router)


register_routers()
