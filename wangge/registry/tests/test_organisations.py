"""Organisations (驻区单位, 经营主体) entered and corrected on their page and through the API, not only by
ledger; each within the user's grids."""

import pytest
from django.urls import reverse

from testkit import grid_worker
from wangge.registry.models import Organisation
from wangge.registry.validators import make_credit_code

pytestmark = pytest.mark.django_db
CODE = make_credit_code("91350924MA2XXXXX" + "0")


def test_an_organisation_is_registered_and_corrected_on_its_page(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    url = reverse("registry:organisation_create", args=[unit.code])
    assert "这个字段是必须的" in client.post(url, {"name": "", "kind": "enterprise"}).content.decode()
    bad = client.post(url, {"name": "鳌阳茶厂", "kind": "enterprise", "credit_code": "91350924MA2XXXXX01"})
    assert "校验位" in bad.content.decode() and not Organisation.objects.exists()
    done = client.post(url, {"name": "鳌阳茶厂", "kind": "enterprise", "credit_code": CODE.lower(),
                             "contact": "吴厂长", "phone": "0593-5521234"})  # fmt: skip
    assert done.status_code == 302
    org = Organisation.objects.get()
    assert org.credit_code == CODE and org.grid == unit
    listing = client.get(reverse("registry:organisation_list"), {"grid": unit.code}).content.decode()
    assert "鳌阳茶厂" in listing and reverse("registry:organisation_edit", args=[org.pk]) in listing
    client.post(reverse("registry:organisation_edit", args=[org.pk]),
                {"name": "鳌阳茶业有限公司", "kind": "enterprise", "credit_code": CODE})  # fmt: skip
    org.refresh_from_db()
    assert org.name == "鳌阳茶业有限公司"


def test_organisations_through_the_api_within_the_users_grids(client, town):
    mine, theirs = town.units[0], town.units[7]
    client.force_login(grid_worker(mine))
    created = client.post(
        "/api/organisations",
        {"grid_code": mine.code, "name": "小卖部", "kind": "individual_business", "phone": "13800001111"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["phone_masked"] == "138****1111"
    org_id = created.json()["id"]
    elsewhere = client.post(
        "/api/organisations",
        {"grid_code": theirs.code, "name": "越界", "kind": "enterprise"},
        content_type="application/json",
    )
    assert elsewhere.status_code == 404
    taken = client.post(
        "/api/organisations",
        {"grid_code": mine.code, "name": "重复", "kind": "enterprise", "credit_code": CODE},
        content_type="application/json",
    )
    assert taken.status_code == 201
    again = client.patch(
        f"/api/organisations/{org_id}", {"credit_code": CODE}, content_type="application/json"
    )
    assert again.status_code == 422 and "已登记" in str(again.json())
    renamed = client.patch(
        f"/api/organisations/{org_id}", {"name": "便民小卖部"}, content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "便民小卖部"
    listed = client.get("/api/organisations", {"q": "小卖部"}).json()
    assert [o["name"] for o in listed["items"]] == ["便民小卖部"]
    client.force_login(grid_worker(theirs))
    assert (
        client.patch(
            f"/api/organisations/{org_id}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/organisations").json()["count"] == 0


def test_house_hazards_are_listed_through_the_api_within_the_users_grids(client, town):
    from wangge.registry import services as registry
    from wangge.registry.tests.factories import household_with_people

    mine, _people = household_with_people(town.units[0])
    theirs, _others = household_with_people(town.units[7])
    registry.mark_hazard(mine.house, kind="fire")
    registry.mark_hazard(theirs.house, kind="fire")
    client.force_login(grid_worker(town.units[0]))
    got = client.get("/api/hazards", {"state": "open"}).json()
    assert got["count"] == 1 and got["items"][0]["grid"] == town.units[0].code
    assert client.get("/api/hazards", {"grid": town.units[7].code}).status_code == 404
