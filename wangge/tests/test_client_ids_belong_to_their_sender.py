"""A client id (a phone's retry key) belongs to whoever sent it. Replaying someone else's, through any page or
API route, is a new submission of one's own: it never answers with their record. The API's write routes
that take a client id are found by walking the OpenAPI document, so a new one cannot be left out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import UserFactory, grid_worker, staff
from wangge.accounts.models import User
from wangge.cases.tests.helpers import inside
from wangge.registry.tests.factories import citizen_id, household_with_people

pytestmark = pytest.mark.django_db

SHARED = "shared-client-id-1"


@dataclass
class Side:
    """One user's world: their unit grid, a household in it, their login."""

    unit: object
    household: object
    members: list
    worker: User
    resident: User
    community: User  # its community's staff, who walks the monthly joint patrol
    patrol: object
    check: object  # the first member's line in a typhoon drill over the unit
    goods: object  # rice in their community's points shop; the first member holds points

    @property
    def ids(self) -> dict:
        return {
            "patrol_id": self.patrol.pk,
            "operation_id": self.check.operation_id,
            "check_id": self.check.pk,
        }


def side(town, n: int, names: tuple[str, str]) -> Side:
    from wangge.command import services as command
    from wangge.fieldwork import services as fieldwork
    from wangge.registry import services as registry
    from wangge.registry.models import SpecialGroup

    unit = town.units[n]
    hh, members = household_with_people(unit, names=names)
    resident = UserFactory(role=User.Role.RESIDENT, phone=members[0].phone)
    second = next(g for g in town.seconds if unit.path.startswith(g.path))
    community = staff("community_staff", scope=second)
    members_ = [{"name": "张组长", "role": "居民小组长"}, {"name": "物业李经理", "role": "物业公司"}]
    patrol = fieldwork.plan_patrol(
        grid=second, planned_on=timezone.localdate(), members=members_, by=community
    )
    registry.add_membership(members[0], group=SpecialGroup.objects.get(key="elderly_alone"))
    centre = staff("centre_staff", scope=town.root)
    area = command.area_from(centre, grid_codes=[unit.code])
    drill = command.start_operation(centre, area, title="台风演练", kind="typhoon", drill=True)
    check = drill.checks.get(person=members[0])
    from wangge.engagement import services as points

    shop = points.open_shop(second, name=f"{second.name}积分超市")
    goods = points.add_goods(shop, name="大米", price=10)
    points.stock_in(goods, 10, bought=True, by=community)
    worker = grid_worker(unit)
    points.grant(points.account_of(person=members[0]), 100, reason="志愿服务", by=worker)
    return Side(unit, hh, members, worker, resident, community, patrol, check, goods)


# Each API write route that takes a client id: who sends it, and a body of theirs carrying a marker.
def _case(s: Side, marker: str, n: int) -> dict:
    lon, lat = inside(s.unit)
    return {"category": "garbage_dumping", "description": marker, "lon": lon, "lat": lat}


def _person(s: Side, marker: str, n: int) -> dict:
    return {"household_id": s.household.pk, "name": marker[:16], "id_number": citizen_id(date(1990, 1, n))}


def _proposal(s: Side, marker: str, n: int) -> dict:
    return {"person_id": s.members[1].pk, "values": {"occupation": marker[:32]}}


def _visit(s: Side, marker: str, n: int) -> dict:
    return {"household": s.household.pk, "notes": marker}


def _dispute(s: Side, marker: str, n: int) -> dict:
    return {"grid": s.unit.code, "kind": "family", "summary": marker, "parties": ["赵某"]}


def _service(s: Side, marker: str, n: int) -> dict:
    return {"person": s.members[0].pk, "kind": "其他", "note": marker}


def _finding(s: Side, marker: str, n: int) -> dict:
    return {"area": "环境卫生", "item": "楼道杂物", "description": marker, "handling": "recorded"}


def _check(s: Side, marker: str, n: int) -> dict:
    return {"state": "contacted", "note": marker}


def _grant(s: Side, marker: str, n: int) -> dict:
    return {"person": s.members[1].pk, "rule": "volunteer_hour", "quantity": n, "detail": marker}


def _redemption(s: Side, marker: str, n: int) -> dict:
    from wangge.engagement import services as points

    return {"account": points.account_of(person=s.members[0]).pk, "goods": s.goods.pk, "note": marker}


API_ROUTES = {
    "/api/cases": ("worker", _case),
    "/api/persons": ("worker", _person),
    "/api/me/proposals": ("resident", _proposal),
    "/api/fieldwork/visits": ("worker", _visit),
    "/api/mediation/disputes": ("worker", _dispute),
    "/api/fieldwork/services": ("worker", _service),
    "/api/fieldwork/patrols/{patrol_id}/findings": ("community", _finding),
    "/api/command/operations/{operation_id}/checks/{check_id}": ("worker", _check),
    "/api/points/grants": ("worker", _grant),
    "/api/points/redemptions": ("community", _redemption),
}


def _client_id_routes() -> set[str]:
    from wangge.api import api

    doc = api.get_openapi_schema()
    schemas = doc["components"]["schemas"]

    def fields(schema: dict) -> set[str]:
        if "$ref" in schema:
            return fields(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        return set(schema.get("properties", {}))

    found = set()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            for content in op.get("requestBody", {}).get("content", {}).values():
                if "client_id" in fields(content["schema"]):
                    found.add(path)
    return found


def test_every_api_write_route_that_takes_a_client_id_is_tried_below():
    assert _client_id_routes() == set(API_ROUTES), "a write route takes client_id: add it to API_ROUTES"


@pytest.mark.parametrize("path", sorted(API_ROUTES))
def test_replaying_another_users_client_id_through_the_api_returns_nothing_of_theirs(client, town, path):
    role, body = API_ROUTES[path]
    theirs, mine = side(town, 7, ("他户甲", "他户乙")), side(town, 0, ("本户甲", "本户乙"))
    client.force_login(getattr(theirs, role))
    first = client.post(path.format(**theirs.ids), {**body(theirs, "他人的秘密内容", 1),
                        "client_id": SHARED}, content_type="application/json")  # fmt: skip
    assert first.status_code == 201, first.content
    client.force_login(getattr(mine, role))
    path = path.format(**mine.ids)
    replay = client.post(path, {**body(mine, "我自己的内容", 2), "client_id": SHARED},
                         content_type="application/json")  # fmt: skip
    assert replay.status_code == 201, replay.content  # a new record of one's own
    text = json.dumps(replay.json(), ensure_ascii=False)
    assert "他人的秘密内容" not in text and "他户" not in text and "我自己" in text
    key = "code" if "code" in first.json() else "id"  # a case is known by its code
    assert replay.json()[key] != first.json()[key]
    again = client.post(path, {**body(mine, "我自己的内容", 2), "client_id": SHARED},
                        content_type="application/json")  # fmt: skip
    assert again.json()[key] == replay.json()[key]  # one's own retry still finds one's own


def test_an_anonymous_phone_replaying_another_phones_client_id_makes_its_own_report(client, town):
    from django.test import Client

    from wangge.cases.models import Case

    lon, lat = inside(town.units[0])
    form = {"category": "garbage_dumping", "lon": lon, "lat": lat, "client_id": SHARED}
    other_phone = Client()
    other_phone.get(reverse("report:start"))
    theirs = other_phone.post(reverse("report:start"), {**form, "description": "他人的秘密内容"})
    client.get(reverse("report:start"))
    mine = client.post(reverse("report:start"), {**form, "description": "我自己的内容"})
    assert theirs.status_code == mine.status_code == 302 and mine["Location"] != theirs["Location"]
    page = client.get(mine["Location"]).content.decode()
    assert "我自己的内容" in page and "他人的秘密内容" not in page
    assert Case.objects.count() == 2
    assert (
        client.post(reverse("report:start"), {**form, "description": "我自己的内容"})["Location"]
        == (mine["Location"])
    )  # the phone's own retry


def _page_routes(mine: Side, theirs: Side) -> list[tuple[str, str, callable]]:
    """(page, role, form of a side carrying a marker)."""
    return [
        (reverse("registry:person_create", args=[mine.household.pk]), "worker",
         lambda s, m, n: {"name": m[:16], "doc_type": "citizen_id", "id_number": citizen_id(date(1991, 2, n)),
                          "relation": "other", "household": s.household.pk}),
        (reverse("registry:me_member", args=[mine.members[1].pk]), "resident",
         lambda s, m, n: {"name": s.members[1].name, "occupation": m[:32]}),
        (reverse("mediation:new"), "worker",
         lambda s, m, n: {"grid": s.unit.pk, "kind": "family", "summary": m, "parties": "赵某"}),
        (reverse("fieldwork:visit_form", args=[mine.household.pk]), "worker",
         lambda s, m, n: {"notes": m, "mode": "in_person"}),
        (reverse("fieldwork:service_new"), "worker",
         lambda s, m, n: {"person": s.members[0].pk, "kind": "其他", "mode": "help", "note": m}),
        (reverse("command:check_update", args=[mine.check.operation_id, mine.check.pk]), "worker",
         lambda s, m, n: {"state": "contacted", "note": m}),
        (reverse("cases:new"), "worker",
         lambda s, m, n: {"category": "garbage_dumping", "description": m, "lon": inside(s.unit)[0],
                          "lat": inside(s.unit)[1]}),
    ]  # fmt: skip


def test_replaying_another_users_client_id_through_the_pages_shows_nothing_of_theirs(client, town):
    from django.test import Client

    from wangge.cases.models import Case
    from wangge.command.models import CheckUpdate
    from wangge.fieldwork.models import ServiceRecord, Visit
    from wangge.mediation.models import Dispute
    from wangge.registry.models import Person, ProposedChange

    theirs, mine = side(town, 7, ("他户甲", "他户乙")), side(town, 0, ("本户甲", "本户乙"))
    # the other side's records, stored under the shared client id through their own pages
    for their_url, role, form in _page_routes(theirs, mine):
        other = Client()
        other.force_login(getattr(theirs, role))
        stored = other.post(their_url, {**form(theirs, "他人的秘密内容", 3), "client_id": SHARED})
        assert stored.status_code == 302, (their_url, stored.content.decode()[-500:])
    kinds = (Person, ProposedChange, Dispute, Visit, ServiceRecord, CheckUpdate, Case)
    counts = [m.objects.count() for m in kinds]
    for url, role, form in _page_routes(mine, theirs):
        client.force_login(getattr(mine, role))
        done = client.post(url, {**form(mine, "我自己的内容", 4), "client_id": SHARED}, follow=True)
        text = done.content.decode()
        assert done.status_code == 200 and "他人的秘密内容" not in text and "他户" not in text, url
    after = [m.objects.count() for m in kinds]
    assert after == [n + 1 for n in counts]  # each a new record of one's own
