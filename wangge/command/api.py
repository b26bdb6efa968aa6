"""应急排查 in the JSON API: the people and houses to reach first in an area (a GeoJSON polygon, grid
codes, or a point and a radius in metres), in the caller's jurisdiction, masked, audited."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema

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
