"""应急排查 in the JSON API: the people and houses to reach first in an area (a GeoJSON polygon, grid
codes, or a point and a radius in metres), in the caller's jurisdiction, masked, audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Field, Router, Schema, Status

from wangge.command import permissions as perms
from wangge.command import services
from wangge.core.permissions import require

router = Router(tags=["指挥调度 command"])


class AreaIn(Schema):
    polygon: dict[str, Any] | None = Field(None, description="GeoJSON Polygon（WGS-84 经纬度）")
    grids: list[str] = Field(default=[], max_length=services.MOST_GRIDS, description="网格编码")
    lon: float | None = None
    lat: float | None = None
    radius_m: float | None = Field(None, description="半径（米），10 米至 50 公里")


class AreaPersonOut(Schema):
    id: int
    name: str
    groups: list[str]
    age: int | None
    phone: str = Field(description="手机号（脱敏）")
    household: str
    address: str
    grid: str
    on_duty: list[str] = Field(description="网格值守人员")
    located: bool = Field(description="false：没有标注位置，所在网格与范围相交，请核实")


class AreaHouseOut(Schema):
    id: int
    address: str
    hazards: list[str]
    grid: str


class AreaFound(Schema):
    area: str
    people: list[AreaPersonOut]
    houses: list[AreaHouseOut]


def _person(found, p, located: bool) -> dict:
    return {"id": p.person_id, "name": p.name, "groups": list(p.groups), "age": p.age, "phone": p.phone,
            "household": p.household, "address": p.address, "grid": found.grid_names.get(p.grid_id, ""),
            "on_duty": found.on_duty.get(p.grid_id, []), "located": located}  # fmt: skip


@router.post("/command/area", response=AreaFound, summary="应急排查：范围内的重点人群与危险房屋")
def search_area(request, body: AreaIn):
    require(request.user, perms.SEARCH_AREA)
    area = services.area_from(
        request.user, polygon=body.polygon, grid_codes=body.grids, lon=body.lon, lat=body.lat,
        radius_m=body.radius_m,
    )  # fmt: skip
    found = services.find_in_area(request.user, area)
    return {
        "area": area.described,
        "people": [_person(found, p, True) for p in found.people]
        + [_person(found, p, False) for p in found.unplaced],
        "houses": [
            {
                "id": h.house_id,
                "address": h.address,
                "hazards": list(h.hazards),
                "grid": found.grid_names.get(h.grid_id, ""),
            }
            for h in found.houses
        ],  # fmt: skip
    }


# --- operations: the checklist from a phone app -----------------------------------------------------


class OperationOut(Schema):
    id: int
    title: str
    kind: str
    drill: bool
    status: str
    area: str
    started_at: datetime
    people: int = Field(description="本人辖区内的排查人数")
    settled: int = Field(description="已联系、已转移或拒绝转移")


class CheckOut(Schema):
    id: int
    person_id: int
    name: str
    groups: list[str]
    phone: str = Field(description="手机号（脱敏）")
    address: str
    grid: str
    located: bool
    state: str
    shelter: str
    note: str
    noted_at: datetime | None


class CheckIn(Schema):
    state: str = Field(description="not_contacted / contacted / moved / refused / unreachable")
    shelter_id: int | None = None
    note: str = Field("", max_length=200)
    noted_at: datetime | None = Field(None, description="手机上按下保存的时间")
    client_id: str = Field("", max_length=64, description="客户端编号：重试时不会重复登记")


class CheckUpdateOut(Schema):
    id: int
    check_id: int
    state: str
    note: str


@router.get("/command/operations", response=list[OperationOut], summary="我辖区内的应急行动（最近 50 个）")
def list_operations(request, status: str = ""):
    require(request.user, perms.WORK_OPERATION)
    operations = services.operations_for(request.user)
    if status:
        operations = operations.filter(status=status)
    answer = []
    for o in operations[:50]:
        b = services.board(request.user, o)
        answer.append({"id": o.pk, "title": o.title, "kind": o.kind, "drill": o.drill, "status": o.status,
                       "area": o.area_described, "started_at": o.started_at, "people": b.total,
                       "settled": b.done})  # fmt: skip
    return answer


@router.get("/command/operations/{operation_id}/checks", response=list[CheckOut], summary="排查清单")
def list_checks(request, operation_id: int):
    require(request.user, perms.WORK_OPERATION)
    operation = services.get_operation_or_404(request.user, operation_id)
    return [_check(line) for line in services.checklist(request.user, operation)]


def _check(line) -> dict:
    c, p = line.check, line.person
    return {
        "id": c.pk, "person_id": c.person_id, "name": p.name if p else "",
        "groups": list(p.groups) if p else [], "phone": p.phone if p else "",
        "address": p.address if p else "", "grid": c.grid.name, "located": c.located, "state": c.state,
        "shelter": c.shelter.name if c.shelter else "", "note": c.note, "noted_at": c.noted_at,
    }  # fmt: skip


@router.post("/command/operations/{operation_id}/checks/{check_id}", response={201: CheckUpdateOut},
             summary="更新一条排查记录（client_id 防重复提交）")  # fmt: skip
def update_check(request, operation_id: int, check_id: int, body: CheckIn):
    require(request.user, perms.WORK_OPERATION)
    operation = services.get_operation_or_404(request.user, operation_id)
    check = services.checks_for(request.user, operation).filter(pk=check_id).first()
    if check is None:
        raise Http404
    check.operation = operation
    update = services.record_check(
        check, state=body.state, by=request.user, shelter_id=body.shelter_id, note=body.note,
        noted_at=body.noted_at, client_id=body.client_id,
    )  # fmt: skip
    return Status(201, {"id": update.pk, "check_id": check.pk, "state": update.state, "note": update.note})
