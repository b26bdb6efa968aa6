"""The archive in the API: every list and record masked, unmasking audited, writes with client ids."""

from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wangge.core import idempotency
from wangge.core.errors import invalid
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.grids.jurisdiction import get_visible_grid_or_404, get_visible_or_404
from wangge.grids.services import subtree_ids
from wangge.registry import importing, selfservice
from wangge.registry import permissions as perms
from wangge.registry import services as registry
from wangge.registry.models import GroupMembership, Hazard, ImportJob, Person
from wangge.registry.tasks import run_ledger_import
from wangge.registry.validators import mask_address, mask_id, mask_phone

router = Router(tags=["档案 registry"])


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    doc_type: str
    id_number_masked: str
    phone_masked: str
    address_masked: str
    relation: str
    grid: str
    household: str | None
    status: str
    groups: list[str]


class PersonPage(Schema):
    count: int
    page: int
    items: list[PersonOut]


class PersonInSchema(Schema):
    name: str
    doc_type: str = "citizen_id"
    id_number: str = ""
    phone: str = ""
    address: str = ""
    relation: str = "other"
    occupation: str = ""
    employer: str = ""
    groups: list[str] = []
    household_id: int | None = None
    grid_code: str | None = None
    client_id: str | None = None


class PersonPatch(Schema):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    relation: str | None = None
    occupation: str | None = None
    employer: str | None = None
    education: str | None = None
    chronic_illness: str | None = None
    disability_grade: str | None = None
    political_status: str | None = None


class UnmaskIn(Schema):
    field: str
    reason: str


class UnmaskOut(Schema):
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    number: str
    residence: str
    grid: str
    address: str | None
    phone_masked: str
    members: list[PersonOut]


def _groups_of(persons: list[Person], user) -> dict[int, list[str]]:
    """Active special groups the user may see, for a page of persons, in one query."""

    on = registry.today()
    out: dict[int, list[str]] = {}
    rows = (
        GroupMembership.objects.filter(person__in=persons, group__in=registry.groups_for(user), start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .values_list("person_id", "group__key")
    )
    for pid, key in rows:
        out.setdefault(pid, []).append(key)
    return out


def _person_out(p: Person, user, groups: dict[int, list[str]] | None = None) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "doc_type": p.doc_type,
        "id_number_masked": mask_id(p.id_number),
        "phone_masked": mask_phone(p.phone),
        "address_masked": mask_address(p.address),
        "relation": p.relation,
        "grid": p.grid.code,
        "household": p.household.number if p.household else None,
        "status": p.status,
        "groups": groups.get(p.pk, []) if groups is not None else _groups_of([p], user).get(p.pk, []),
    }


@router.get("/persons", response=PersonPage, summary="人员查询（限辖区，敏感字段遮挡）")
def list_persons(
    request,
    q: str = "",
    group: str = "",
    hazard: str = "",
    residence: str = "",
    age_min: int | None = Query(None, ge=0, le=150),
    age_max: int | None = Query(None, ge=0, le=150),
    grid: str = "",
    page: int = Query(1, ge=1),
):
    require(request.user, perms.VIEW_ARCHIVE)
    grid_obj = get_visible_grid_or_404(request.user, grid) if grid else None
    qs = registry.search_persons(
        request.user,
        text=q,
        group=group,
        hazard=hazard,
        residence=residence,
        age_min=age_min,
        age_max=age_max,
        grid=grid_obj,
    ).order_by("pk")
    found = api_page(qs, page)
    groups = _groups_of(found["items"], request.user)
    return {**found, "items": [_person_out(p, request.user, groups) for p in found["items"]]}


@router.get("/persons/{person_id}", response=PersonOut, summary="人员详情（遮挡）")
def get_person(request, person_id: int):
    require(request.user, perms.VIEW_ARCHIVE)
    return _person_out(
        get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id), request.user
    )


@router.post(
    "/persons", response={201: PersonOut, 200: PersonOut}, summary="登记人员（client_id 防重复提交）"
)
def create_person(request, body: PersonInSchema):
    require(request.user, perms.EDIT_ARCHIVE)
    household = None
    grid = None
    if body.household_id:
        household = get_visible_or_404(
            registry.households_for(request.user), request.user, pk=body.household_id
        )
    elif body.grid_code:
        grid = get_visible_grid_or_404(request.user, body.grid_code)
    else:
        raise invalid("household_id", "请指定户或网格", "required")
    data = registry.PersonIn(
        name=body.name,
        doc_type=body.doc_type,
        id_number=body.id_number,
        phone=body.phone,
        address=body.address,
        relation=body.relation,
        occupation=body.occupation,
        employer=body.employer,
        groups=tuple(body.groups),
    )
    existed = idempotency.sent_before(Person.objects, body.client_id, idempotency.sender(request.user))
    person = registry.register_person(
        data, household=household, grid=grid, client_id=body.client_id, by=request.user
    )
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person.pk)
    return Status(200 if existed is not None else 201, _person_out(person, request.user))


@router.patch("/persons/{person_id}", response=PersonOut, summary="更正人员信息")
def patch_person(request, person_id: int, body: PersonPatch):
    require(request.user, perms.EDIT_ARCHIVE)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    registry.update_person(person, by=request.user, **body.dict(exclude_none=True))
    return _person_out(registry.persons_for(request.user).get(pk=person.pk), request.user)


@router.post(
    "/persons/{person_id}/unmask",
    response=UnmaskOut,
    summary="查看完整的证件号、手机号或住址（需权限与原因，记入审计）",
)
def unmask_person(request, person_id: int, body: UnmaskIn):
    require(request.user, perms.UNMASK)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    return {
        "field": body.field,
        "value": registry.unmask(person, field=body.field, reason=body.reason, by=request.user),
    }


class ChangeOut(Schema):
    id: int
    field: str
    before: str  # masked for personal data
    after: str
    changed: datetime
    by: str
    source: str
    sensitive: bool


@router.get("/persons/{person_id}/changes", response=list[ChangeOut],
            summary="人员信息变更记录（旧值→新值，个人信息遮挡）")  # fmt: skip
def person_changes(request, person_id: int):
    require(request.user, perms.VIEW_ARCHIVE)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    return [{**c, "field": str(c["label"]), "by": str(c["by"] or ""), "source": str(c["source"])}
            for c in registry.history(person)]  # fmt: skip


class ChangeUnmaskIn(Schema):
    reason: str = Field(max_length=200)


@router.post("/persons/{person_id}/changes/{change_id}/unmask", response=UnmaskOut,
             summary="查看一条变更记录的完整旧值与新值（须填原因，记入审计）")  # fmt: skip
def unmask_change(request, person_id: int, change_id: int, body: ChangeUnmaskIn):
    require(request.user, perms.UNMASK)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    value = registry.unmask_change(person, change_id, reason=body.reason, by=request.user)
    return {"field": "change", "value": value}


@router.get("/households/{household_id}", response=HouseholdOut, summary="户详情（遮挡）")
def get_household(request, household_id: int):
    require(request.user, perms.VIEW_ARCHIVE)
    hh = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    members = list(hh.members.select_related("grid", "household"))
    groups = _groups_of(members, request.user)
    return {
        "id": hh.pk,
        "number": hh.number,
        "residence": hh.residence,
        "grid": hh.grid.code,
        "address": hh.house.address if hh.house else None,
        "phone_masked": mask_phone(hh.phone),
        "members": [_person_out(p, request.user, groups) for p in members],
    }


class SummaryOut(Schema):
    grid: str
    persons: int
    households: int
    open_hazards: int
    groups: dict[str, int]


@router.get("/registry/grids/{code}/summary", response=SummaryOut, summary="网格档案概况")
def grid_summary(request, code: str):
    require(request.user, perms.VIEW_ARCHIVE)
    grid = get_visible_grid_or_404(request.user, code)
    ids = subtree_ids(grid)
    return {
        "grid": grid.code,
        "persons": registry.persons_for(request.user).filter(grid__in=ids, status="active").count(),
        "households": registry.households_for(request.user).filter(grid__in=ids, active=True).count(),
        "open_hazards": registry.hazards_for(request.user)
        .filter(house__grid__in=ids, state=Hazard.State.OPEN)
        .count(),
        "groups": {g.key: n for g, n in registry.group_counts(request.user, grid)},
    }


class HouseholdIn(Schema):
    grid_code: str
    address: str
    use: str = "own"
    residence: str = "registered"
    phone: str = ""


class HazardIn(Schema):
    kind: str
    grade: str = ""
    found_on: date | None = None
    note: str = ""


class HazardOut(Schema):
    id: int
    kind: str
    grade: str
    found_on: date
    state: str
    fixed_on: date | None
    fixed_by: str


class FixIn(Schema):
    fixed_on: date | None = None
    fixed_by: str = ""


class MembershipIn(Schema):
    group: str
    start: date | None = None
    note: str = ""


class MembershipOut(Schema):
    id: int
    group: str
    start: date
    end: date | None


class ProposalIn(Schema):
    person_id: int | None = None
    values: dict[str, str]
    client_id: str | None = None


class ProposalOut(Schema):
    id: int
    household: str
    person_id: int | None
    status: str
    difference: list[list[str]]


class DecideIn(Schema):
    accept: bool
    reason: str = ""


class JobOut(Schema):
    id: int
    filename: str
    status: str
    progress: int
    report: dict


@router.post("/households", response={201: HouseholdOut}, summary="新建户（连同房屋）")
def create_household(request, body: HouseholdIn):

    require(request.user, perms.EDIT_ARCHIVE)
    grid = get_visible_grid_or_404(request.user, body.grid_code)
    with transaction.atomic():
        house = registry.create_house(grid=grid, address=body.address, use=body.use, by=request.user)
        hh = registry.create_household(
            house=house, residence=body.residence, phone=body.phone, by=request.user
        )
    return Status(201, get_household(request, hh.pk))


@router.post("/households/{household_id}/hazards", response={201: HazardOut}, summary="登记房屋隐患")
def create_hazard(request, household_id: int, body: HazardIn):
    require(request.user, perms.EDIT_ARCHIVE)
    hh = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    if hh.house is None:
        raise invalid("household_id", "该户没有登记房屋", "not_found")
    hazard = registry.mark_hazard(
        hh.house, kind=body.kind, grade=body.grade, found_on=body.found_on, note=body.note, by=request.user
    )
    return Status(201, hazard)


class HazardListed(HazardOut):
    grid: str
    address: str  # the house's address: a place, not a person's


class HazardPage(Schema):
    count: int
    page: int
    items: list[HazardListed]


class SupervisedOut(Schema):
    name: str
    sex: str
    birth_date: date | None
    id_number: str  # masked
    phone: str  # masked
    groups: list[str]
    grid: str


class SupervisedPage(Schema):
    count: int
    page: int
    items: list[SupervisedOut]


@router.get("/registry/supervised", response=SupervisedPage,
            summary="监管对象：本部门依法监管的特殊人群（全辖区，遮挡，查看记入审计）")  # fmt: skip
def supervised(request, group: str = "", q: str = "", page: int = 1):
    require(request.user, perms.VIEW_SUPERVISED)
    keys = {g.key for g in registry.supervised_groups(request.user)}

    def out(p) -> dict:
        groups = [m.group.key for m in p.memberships.all() if m.group.key in keys and m.end is None]
        return {"name": p.name, "sex": p.sex, "birth_date": p.birth_date, "id_number": mask_id(p.id_number),
                "phone": mask_phone(p.phone), "grid": p.grid.code, "groups": groups}  # fmt: skip

    answer = api_page(registry.supervised_persons(request.user, group=group, q=q[:64]), page, out=out)
    registry.audit_supervised_read(
        request.user, what="api", count=len(answer["items"]), group=group, q=q[:64]
    )
    return answer


@router.get("/hazards", response=HazardPage, summary="房屋隐患（我辖区内的）")
def list_hazards(request, grid: str = "", state: str = "", kind: str = "", page: int = 1):
    require(request.user, perms.VIEW_ARCHIVE)
    qs = registry.hazards_for(request.user)
    if grid:
        qs = qs.filter(house__grid__in=subtree_ids(get_visible_grid_or_404(request.user, grid)))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return api_page(qs.order_by("-found_on", "pk"), page, out=_hazard_listed)


def _hazard_listed(h) -> dict:
    return {"id": h.pk, "kind": h.kind, "grade": h.grade, "found_on": h.found_on, "state": h.state,
            "fixed_on": h.fixed_on, "fixed_by": h.fixed_by, "grid": h.house.grid.code,
            "address": h.house.address}  # fmt: skip


@router.post("/hazards/{hazard_id}/fix", response=HazardOut, summary="登记隐患整改")
def fix_hazard(request, hazard_id: int, body: FixIn):
    require(request.user, perms.EDIT_ARCHIVE)
    hazard = get_visible_or_404(
        registry.hazards_for(request.user), request.user, grid_field="house__grid", pk=hazard_id
    )
    return registry.fix_hazard(hazard, fixed_on=body.fixed_on, fixed_by=body.fixed_by, by=request.user)


@router.post("/persons/{person_id}/groups", response={201: MembershipOut}, summary="登记人群类别")
def add_group(request, person_id: int, body: MembershipIn):
    require(request.user, perms.EDIT_ARCHIVE)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    group = registry.groups_for(request.user).filter(key=body.group).first()
    if group is None:
        raise invalid("group", f"未知的人群类别：{body.group}", "unknown")
    m = registry.add_membership(person, group=group, start=body.start, note=body.note, by=request.user)
    return Status(201, {"id": m.pk, "group": group.key, "start": m.start, "end": m.end})


@router.post(
    "/persons/{person_id}/groups/{membership_id}/end", response=MembershipOut, summary="结束人群类别登记"
)
def end_group(request, person_id: int, membership_id: int):
    require(request.user, perms.EDIT_ARCHIVE)
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    m = get_visible_or_404(
        registry.active_memberships(person, request.user),
        request.user,
        grid_field="person__grid",
        pk=membership_id,
    )
    m = registry.end_membership(m, by=request.user)
    return {"id": m.pk, "group": m.group.key, "start": m.start, "end": m.end}


def _proposal_out(change) -> dict:
    return {
        "id": change.pk,
        "household": change.household.number,
        "person_id": change.person_id,
        "status": change.status,
        "difference": [list(r) for r in selfservice.difference(change)],
    }


@router.post("/me/proposals", response={201: ProposalOut}, summary="居民申报本户信息（网格员确认后生效）")
def propose(request, body: ProposalIn):

    household = selfservice.household_of_resident(request.user)
    if household is None:
        raise Http404
    person = household.members.filter(pk=body.person_id).first() if body.person_id else None
    if body.person_id and person is None:
        raise Http404
    change = selfservice.propose(
        household, by=request.user, person=person, values=body.values, client_id=body.client_id
    )
    return Status(201, _proposal_out(change))


@router.get("/proposals", response=list[ProposalOut], summary="待确认的居民申报")
def list_proposals(request):
    require(request.user, perms.EDIT_ARCHIVE)
    return [_proposal_out(c) for c in selfservice.pending_for(request.user)[:200]]


@router.post("/proposals/{change_id}/decide", response=ProposalOut, summary="采纳或不采纳居民申报")
def decide_proposal(request, change_id: int, body: DecideIn):
    require(request.user, perms.EDIT_ARCHIVE)
    change = get_visible_or_404(selfservice.pending_for(request.user), request.user, pk=change_id)
    return _proposal_out(selfservice.decide(change, accept=body.accept, by=request.user, reason=body.reason))


@router.post("/imports", response={202: JobOut}, summary="上传人员台账并检查（后台任务）")
def upload_ledger(
    request, file: UploadedFile = File(...), kind: str = Form("persons"), refresh: bool = Form(False)
):
    """With `refresh` (persons only), the monthly refresh: persons the archive holds are matched by ID
    number and the report lists what would be added, changed and who is missing."""
    require(request.user, perms.EDIT_ARCHIVE)
    content = file.read()
    if kind not in importing.LEDGERS:
        raise invalid("kind", "台账类型应为 persons、organisations 或 houses", "invalid")
    try:
        header = importing.read_ledger(content, kind).header
    except Exception as exc:  # not a spreadsheet
        raise invalid("file", "无法读取文件：请上传 .xlsx 格式的 Excel 文件", "invalid") from exc
    columns = importing.LEDGERS[kind][0]
    mapping = importing.mapping_for(request.user, kind, header)
    missing = importing.missing_required(mapping, columns)
    if missing:
        raise invalid(
            "file", f"缺少必填列：{'、'.join(missing)}（请用模板的表头，或在页面上指定列）", "required"
        )
    job = ImportJob.objects.create(
        user=request.user,
        kind=kind,
        filename=file.name or "ledger.xlsx",
        content=content,
        mapping=mapping,
        refresh=refresh and kind == ImportJob.Kind.PERSONS,
    )
    run_ledger_import.enqueue(job_id=job.pk, commit=False)
    job.refresh_from_db()
    return Status(202, job)


@router.get("/imports/{job_id}", response=JobOut, summary="台账导入进度与结果")
def import_status(request, job_id: int):

    return get_object_or_404(ImportJob.objects.defer("content"), pk=job_id, user=request.user)


@router.post("/imports/{job_id}/commit", response={202: JobOut}, summary="确认导入（检查无误后）")
def commit_import(request, job_id: int, mark_missing: bool = False):
    """For a refresh, `mark_missing` marks moved out the members its report lists as missing."""
    require(request.user, perms.EDIT_ARCHIVE)
    job = get_object_or_404(ImportJob, pk=job_id, user=request.user)
    if not (job.status == ImportJob.Status.CHECKED and job.report.get("ok")):
        raise invalid("status", "只有检查通过的导入才能确认", "wrong_state")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.QUEUED, progress=0, mark_missing=job.refresh and mark_missing
    )
    run_ledger_import.enqueue(job_id=job.pk, commit=True)
    job.refresh_from_db()
    return Status(202, job)


class OrganisationIn(Schema):
    grid_code: str
    name: str
    kind: str  # enterprise / individual_business / school / ... (Organisation.Kind)
    credit_code: str = ""
    contact: str = ""
    phone: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None


class OrganisationPatch(Schema):
    grid_code: str | None = None
    name: str | None = None
    kind: str | None = None
    credit_code: str | None = None
    contact: str | None = None
    phone: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None


class OrganisationOut(Schema):
    id: int
    grid: str
    name: str
    kind: str
    kind_name: str
    credit_code: str | None
    contact: str
    phone_masked: str
    address: str
    lon: float | None
    lat: float | None


class OrganisationPage(Schema):
    count: int
    page: int
    items: list[OrganisationOut]


def _org_out(o) -> dict:
    return {"id": o.pk, "grid": o.grid.code, "name": o.name, "kind": o.kind,
            "kind_name": o.get_kind_display(), "credit_code": o.credit_code, "contact": o.contact,
            "phone_masked": mask_phone(o.phone), "address": o.address,
            "lon": o.lon, "lat": o.lat}  # fmt: skip


@router.get("/organisations", response=OrganisationPage, summary="单位（驻区单位、经营主体）")
def list_organisations(request, grid: str = "", q: str = "", kind: str = "", page: int = 1):
    require(request.user, perms.VIEW_ARCHIVE)
    qs = registry.organisations_for(request.user).select_related("grid")
    if grid:
        qs = qs.filter(grid__in=subtree_ids(get_visible_grid_or_404(request.user, grid)))
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(credit_code=q.strip().upper()))
    if kind:
        qs = qs.filter(kind=kind)
    return api_page(qs.order_by("grid__path", "name", "pk"), page, out=_org_out)


@router.post("/organisations", response={201: OrganisationOut}, summary="登记单位")
def create_organisation(request, body: OrganisationIn):
    require(request.user, perms.EDIT_ARCHIVE)
    grid = get_visible_grid_or_404(request.user, body.grid_code)
    values = body.dict(exclude={"grid_code"})
    return Status(201, _org_out(registry.register_organisation(grid=grid, by=request.user, **values)))


@router.patch("/organisations/{org_id}", response=OrganisationOut, summary="更正单位信息")
def patch_organisation(request, org_id: int, body: OrganisationPatch):
    require(request.user, perms.EDIT_ARCHIVE)
    org = get_visible_or_404(registry.organisations_for(request.user), request.user, pk=org_id)
    changes = body.dict(exclude_unset=True)
    code = changes.pop("grid_code", None)
    grid = get_visible_grid_or_404(request.user, code) if code else None
    return _org_out(registry.update_organisation(org, by=request.user, grid=grid, **changes))
