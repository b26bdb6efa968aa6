"""The archive in the API: every list and record masked, unmasking audited, writes with client ids."""

from datetime import date

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema, Status

from wangge.accounts.guards import require
from wangge.accounts.jurisdiction import get_visible_or_404
from wangge.grids.models import Grid
from wangge.registry import permissions as perms
from wangge.registry import services as registry
from wangge.registry.models import Person
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


def _person_out(p: Person, user) -> dict:
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
        "groups": [m.group.key for m in registry.active_memberships(p, user)],
    }


@router.get("/persons", response=PersonPage, summary="人员查询（限辖区，敏感字段遮挡）")
def list_persons(
    request,
    q: str = "",
    group: str = "",
    hazard: str = "",
    residence: str = "",
    age_min: int | None = None,
    age_max: int | None = None,
    grid: str = "",
    page: int = Query(1, ge=1),
):
    require(request.user, perms.VIEW_ARCHIVE)
    grid_obj = (
        get_visible_or_404(Grid.objects.all(), request.user, grid_field="", code=grid) if grid else None
    )
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
    items = [_person_out(p, request.user) for p in qs[(page - 1) * 50 : page * 50]]
    return {"count": qs.count(), "page": page, "items": items}


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
        grid = get_visible_or_404(Grid.objects.all(), request.user, grid_field="", code=body.grid_code)
    else:
        raise ValidationError({"household_id": "请指定户或网格"})
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
    existed = bool(body.client_id) and Person.objects.filter(client_id=body.client_id).exists()
    person = registry.register_person(
        data, household=household, grid=grid, client_id=body.client_id, by=request.user
    )
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person.pk)
    return Status(200 if existed else 201, _person_out(person, request.user))


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


@router.get("/households/{household_id}", response=HouseholdOut, summary="户详情（遮挡）")
def get_household(request, household_id: int):
    require(request.user, perms.VIEW_ARCHIVE)
    hh = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    return {
        "id": hh.pk,
        "number": hh.number,
        "residence": hh.residence,
        "grid": hh.grid.code,
        "address": hh.house.address if hh.house else None,
        "phone_masked": mask_phone(hh.phone),
        "members": [_person_out(p, request.user) for p in hh.members.select_related("grid", "household")],
    }


class SummaryOut(Schema):
    grid: str
    persons: int
    households: int
    open_hazards: int
    groups: dict[str, int]


@router.get("/registry/grids/{code}/summary", response=SummaryOut, summary="网格档案概况")
def grid_summary(request, code: str):
    from wangge.grids.services import subtree_q
    from wangge.registry.models import Hazard

    require(request.user, perms.VIEW_ARCHIVE)
    grid = get_visible_or_404(Grid.objects.all(), request.user, grid_field="", code=code)
    ids = Grid.objects.filter(subtree_q(grid.path)).values("id")
    return {
        "grid": grid.code,
        "persons": registry.persons_for(request.user).filter(grid__in=ids, status="active").count(),
        "households": registry.households_for(request.user).filter(grid__in=ids, active=True).count(),
        "open_hazards": registry.hazards_for(request.user)
        .filter(house__grid__in=ids, state=Hazard.State.OPEN)
        .count(),
        "groups": {g.key: n for g, n in registry.group_counts(request.user, grid)},
    }
