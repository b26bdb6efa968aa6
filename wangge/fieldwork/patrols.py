"""Joint patrols (联动巡查, Jinyuan): each community's monthly walk with residents' group leaders, micro-grid
leaders, the property company and owners' representatives. Findings are fixed on the spot, recorded, sent
as cases to the property company or a department, or taken to the community party committee; the month's
summary and the analysis of common problems are computed, and residents see the outcome on a public page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.accounts.models import Department
from wangge.audit import services as audit
from wangge.cases import services as cases
from wangge.core import idempotency, outbox
from wangge.core.errors import error, invalid
from wangge.core.phrases import phrase
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import scene
from wangge.fieldwork.models import PatrolFinding, PatrolPlan

H = PatrolFinding.Handling


def today() -> date:
    return timezone.localdate()


def plans_for(user) -> QuerySet[PatrolPlan]:
    return accounts.visible(PatrolPlan.objects.select_related("grid", "created_by"), user)


@transaction.atomic
def plan(*, grid, planned_on: date, members: list[dict], by, checklist: dict | None = None) -> PatrolPlan:
    """The month's patrol of a community: its day and who walks (name and role)."""
    if not by.has_perm(perms.PATROL) or not accounts.can_see_grid(by, grid):
        raise PermissionDenied(_("您不能为该社区安排联动巡查"))
    roles = scene.settings().patrol_roles
    errors = {}
    members = [
        {"name": m.get("name", "").strip(), "role": m.get("role", "")}
        for m in members
        if m.get("name", "").strip()
    ]
    if len(members) < 2:
        errors["members"] = error(_("联动巡查至少需要两名参加人员"), "required")
    elif roles and (bad := [m["role"] for m in members if m["role"] not in roles]):
        errors["members"] = error(
            _("未知的身份：%(r)s（可选：%(all)s）")
            % {
                "r": "、".join(bad),
                "all": "、".join(roles),
            },
            "unknown",
        )
    if errors:
        raise ValidationError(errors)
    month = planned_on.replace(day=1)
    if PatrolPlan.objects.filter(grid=grid, month=month).exists():
        raise invalid(
            "planned_on", _("%(g)s %(m)s 已安排联动巡查") % {"g": grid.name, "m": f"{month:%Y-%m}"}, "taken"
        )
    p = PatrolPlan.objects.create(
        grid=grid,
        month=month,
        planned_on=planned_on,
        members=members,
        checklist=checklist or scene.settings().patrol_checklist,
        created_by=by,
    )
    audit.record(audit.Action.CREATE, actor=by, obj=p, object_repr=f"{grid.name} {month:%Y-%m} 联动巡查")
    return p


def record(
    p: PatrolPlan,
    *,
    by,
    area: str,
    item: str,
    description: str,
    handling: str,
    place: str = "",
    category: str = "",
    department: str = "",
    client_id: str,
) -> PatrolFinding:
    """One finding, all or nothing; a retry with the same client id returns the first."""
    sender = idempotency.sender(by)
    if existing := idempotency.sent_before(PatrolFinding.objects, client_id, sender):
        return existing
    try:
        with transaction.atomic():
            return _record(
                p,
                by=by,
                area=area,
                item=item,
                description=description,
                handling=handling,
                place=place,
                category=category,
                department=department,
                client_id=client_id,
            )
    except IntegrityError:
        if existing := idempotency.sent_before(PatrolFinding.objects, client_id, sender):
            return existing
        raise


def _record(
    p, *, by, area, item, description, handling, place, category, department, client_id
) -> PatrolFinding:
    if not by.has_perm(perms.PATROL) or not plans_for(by).filter(pk=p.pk).exists():
        raise PermissionDenied(_("该巡查不在您的辖区内"))
    errors = {}
    if item not in p.checklist.get(area, []):
        errors["item"] = error(_("请选择巡查事项"), "required")
    if not description.strip():
        errors["description"] = error(_("请写明发现的问题"), "required")
    if handling not in H.values:
        errors["handling"] = error(_("请选择处理方式"), "required")
    if handling == H.CASE and not category:
        errors["category"] = error(_("转交办理时请选择事件类别"), "required")
    if errors:
        raise ValidationError(errors)
    f = PatrolFinding(
        plan=p,
        area=area,
        item=item,
        description=description.strip()[:255],
        place=place.strip()[:128],
        handling=handling,
        client_id=client_id,
        client_sender=idempotency.sender(by),
    )
    if handling == H.CASE:
        f.case_code, f.assigned_to = _hand_over(p, by, f, category, department)
    elif handling == H.ESCALATED:
        outbox.notify(
            f"patrol-escalated-{client_id}",
            title=phrase("联动巡查提交社区党委研究：%(d)s", d=f.description[:40]),
            link=f"/fieldwork/patrols/{p.pk}/",
            grid_id=p.grid_id,
        )
        f.assigned_to = _("社区党委")
    f.save()
    if p.walked_on is None:
        PatrolPlan.objects.filter(pk=p.pk).update(walked_on=today())
    return f


def _hand_over(p: PatrolPlan, by, f: PatrolFinding, category: str, department: str) -> tuple[str, str]:
    """A finding that needs work becomes a case, accepted and dispatched at once (the patrol is the
    acceptance): to the named department (the property company is one), or as the catalogue routes it."""

    case = cases.report(
        cases.ReportIn(
            category=category,
            description=f"【联动巡查】{f.item}：{f.description}",
            address=f.place or p.grid.name,
            grid_code=p.grid.code,
            client_id=f"patrol-{f.client_id}",
            channel="module",
        ),
        by=by,
    )
    dept = Department.objects.filter(key=department).first() if department else None
    if department and dept is None:
        raise invalid("department", _("未知的交办单位"), "unknown")
    if case.status == "reported":
        cases.accept(case, by=by, comment=phrase("联动巡查发现"))
        cases.dispatch(case, by=by, to_department=dept, comment=phrase("联动巡查交办"))
    case.refresh_from_db()
    who = (
        case.handler_department.name
        if case.handler_department
        else (case.handler_grid.name if case.handler_grid else "")
    )
    return case.code, who


def summary(p: PatrolPlan) -> dict:
    """The patrol's summary: findings by area and by handling."""
    findings = list(p.findings.all())
    return {
        "total": len(findings),
        "by_area": dict(Counter(f.area for f in findings)),  # a Counter answers 0 to a template's .items
        "by_handling": {label: sum(1 for f in findings if f.handling == v) for v, label in H.choices},
    }


def analysis(user, month: date) -> list[dict]:
    """The month's common problems across the user's communities: each checklist item found, in how many
    communities, how often, and whether the same community found it the month before (recurring)."""
    month = month.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    this = PatrolFinding.objects.filter(plan__in=plans_for(user).filter(month=month)).select_related("plan")
    last = set(
        PatrolFinding.objects.filter(plan__in=plans_for(user).filter(month=before)).values_list(
            "plan__grid_id", "item"
        )
    )
    rows: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"count": 0, "grids": set(), "recurring": set(), "open": 0}
    )
    for f in this:
        r = rows[(f.area, f.item)]
        r["count"] += 1
        r["grids"].add(f.plan.grid_id)
        if (f.plan.grid_id, f.item) in last:
            r["recurring"].add(f.plan.grid_id)
        if f.handling in (H.CASE, H.ESCALATED, H.RECORDED):
            r["open"] += 1
    out = [
        {
            "area": a,
            "item": i,
            "count": r["count"],
            "communities": len(r["grids"]),
            "recurring": len(r["recurring"]),
            "not_on_spot": r["open"],
        }
        for (a, i), r in rows.items()
    ]
    return sorted(out, key=lambda r: (-r["communities"], -r["count"], r["item"]))


def public_outcomes(grid, month: date) -> list[dict]:
    """What residents are told: each finding of the community's patrol and what became of it (no names)."""

    p = PatrolPlan.objects.filter(grid=grid, month=month.replace(day=1)).first()
    if p is None:
        return []
    codes = [f.case_code for f in p.findings.all() if f.case_code]
    states = {c.code: c for c in cases.public_cases().filter(code__in=codes)}
    out = []
    for f in p.findings.all():
        case = states.get(f.case_code)
        if f.handling == H.ON_SPOT:
            outcome = _("已现场解决")
        elif case is not None:
            outcome = case.answer or case.get_status_display()
        elif f.handling == H.CASE:  # a category kept off public pages (a family matter): just that it went on
            outcome = _("已转交有关单位办理")
        elif f.handling == H.ESCALATED:
            outcome = _("已提交社区党委研究")
        else:
            outcome = _("已记录，持续关注")
        out.append(
            {
                "item": f.item,
                "description": f.description,
                "place": f.place,
                "outcome": outcome,
                "assigned_to": f.assigned_to,
            }
        )
    return out
