from datetime import date

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from wangge.audit import services as audit
from wangge.audit.models import AuditRecord
from wangge.core import permissions as perms
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.pagination import paginate


def _date(raw: str):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filtered(request):
    g = request.GET
    return audit.search(
        action=g.get("action", ""),
        actor=g.get("actor", "").strip(),
        object_type=g.get("object_type", "").strip(),
        text=g.get("q", "").strip(),
        since=_date(g.get("since", "")),
        until=_date(g.get("until", "")),
    )


@login_required
@permission_required(perms.VIEW_AUDIT, raise_exception=True)
def audit_list(request):
    page, query = paginate(request, _filtered(request))
    return render(
        request, "audit/list.html", {"page": page, "query": query, "actions": AuditRecord.Action.choices}
    )


@login_required
@permission_required(perms.VIEW_AUDIT, raise_exception=True)
def audit_xlsx(request):
    rows = (
        [
            r.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            r.actor_name,
            r.get_action_display(),
            r.object_type,
            r.object_repr,
            r.ip or "",
        ]
        for r in _filtered(request)[:100000]
    )
    data = write_workbook(["时间", "操作人", "操作", "对象类型", "对象", "来源地址"], rows, sheet="审计")
    audit.record(
        audit.Action.EXPORT, actor=request.user, object_type="audit.auditrecord", object_repr="审计日志"
    )
    return download(data, "audit.xlsx")
