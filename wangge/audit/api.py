from datetime import date, datetime

from ninja import Query, Router, Schema

from wangge.audit import services as audit
from wangge.core import permissions as perms
from wangge.core.pagination import api_page
from wangge.core.permissions import require

router = Router(tags=["审计 audit"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    detail: dict
    ip: str | None


class AuditPage(Schema):
    count: int
    page: int
    items: list[AuditOut]


@router.get("", response=AuditPage, summary="审计日志（只读，仅管理员）")
def list_audit(
    request,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    q: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = Query(1, ge=1),
):
    require(request.user, perms.VIEW_AUDIT)
    qs = audit.search(action=action, actor=actor, object_type=object_type, text=q, since=since, until=until)
    return api_page(qs, page)
