"""A worker of grid A gets "not found" for grid B's people, households and hazards: every page, API route,
search and export of the registry."""

import json

import pytest
from django.urls import URLPattern, get_resolver, reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.registry import services as registry
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_grids(town):
    mine, theirs = town.units[0], town.units[1]
    my_hh, my_people = household_with_people(mine, names=("本格甲", "本格乙"))
    their_hh, their_people = household_with_people(
        theirs, names=("邻格甲", "邻格乙"), groups=["elderly_alone"]
    )
    hazard = registry.mark_hazard(their_hh.house, kind="fire")
    worker = grid_worker(mine)
    from wangge.registry.models import ImportJob

    their_job = ImportJob.objects.create(user=grid_worker(theirs), filename="邻格台账.xlsx", content=b"x")
    from wangge.registry.models import ProposedChange

    their_change = ProposedChange.objects.create(
        household=their_hh, grid=theirs, person=their_people[0], data='{"occupation": "x"}'
    )
    their_org = registry.register_organisation(grid=theirs, name="邻格茶厂", kind="enterprise")
    return {
        "their_org": their_org,
        "their_change": their_change,
        "their_job": their_job,
        "mine": mine,
        "theirs": theirs,
        "my_hh": my_hh,
        "their_hh": their_hh,
        "their": their_people[0],
        "mine_person": my_people[0],
        "hazard": hazard,
        "worker": worker,
    }


def registry_pages():
    for top in get_resolver().url_patterns:
        if getattr(top, "namespace", None) == "registry":
            for p in top.url_patterns:
                if isinstance(p, URLPattern):
                    yield p.name, sorted(p.pattern.converters)


def test_every_registry_page_with_an_id_of_another_grid_is_not_found(client, two_grids):
    t = two_grids
    ids = {
        "person_id": t["their"].pk,
        "household_id": t["their_hh"].pk,
        "hazard_id": t["hazard"].pk,
        "code": t["theirs"].code,
        "job_id": t["their_job"].pk,
        "change_id": t["their_change"].pk,
        "org_id": t["their_org"].pk,
        "membership_id": t["their"].memberships.get().pk,
    }
    client.force_login(t["worker"])
    checked = 0
    for name, params in registry_pages():
        if not params:
            continue
        url = reverse(f"registry:{name}", kwargs={k: ids[k] for k in params})
        post_only = name in {
            "person_unmask",
            "person_change_unmask",
            "hazard_fix",
            "import_commit",
            "import_include_set_aside",
            "import_tags",
            "proposal_decide",
            "membership_end",
        }
        response = client.post(url, {"field": "phone", "reason": "核实"}) if post_only else client.get(url)
        assert response.status_code == 404, (name, response.status_code)
        checked += 1
    assert checked >= 8


def test_lists_searches_and_exports_hold_only_the_own_grid(client, two_grids):
    t = two_grids
    client.force_login(t["worker"])
    listing = client.get(reverse("registry:person_list")).content.decode()
    assert "本格甲" in listing and "邻格甲" not in listing
    by_id = client.get(reverse("registry:person_list"), {"q": t["their"].id_number}).content.decode()
    assert "邻格甲" not in by_id and "没有符合条件的人员" in by_id
    by_phone = client.get(reverse("registry:person_list"), {"q": t["their"].phone}).content.decode()
    assert "邻格甲" not in by_phone
    own_by_id = client.get(
        reverse("registry:person_list"), {"q": t["mine_person"].id_number}
    ).content.decode()
    assert "本格甲" in own_by_id
    from wangge.core.excel import read_rows

    for url in (
        reverse("registry:person_list"),
        reverse("registry:household_list"),
        reverse("registry:hazard_list"),
    ):
        _, rows = read_rows(client.get(url, {"format": "xlsx"}).content)
        flat = json.dumps(rows, ensure_ascii=False)
        assert (
            "邻格" not in flat
            and t["their_hh"].number not in flat
            and t["their_hh"].house.address not in flat
        )
    assert client.get(reverse("registry:grid_archive", args=[t["theirs"].code])).status_code == 404


def test_every_registry_api_route_answers_not_found_out_of_jurisdiction(client, two_grids):
    t = two_grids
    client.force_login(t["worker"])
    their = t["their"]
    assert client.get(f"/api/persons/{their.pk}").status_code == 404
    assert (
        client.patch(
            f"/api/persons/{their.pk}", json.dumps({"name": "x"}), content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/persons/{their.pk}/unmask",
            json.dumps({"field": "phone", "reason": "核实"}),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get(f"/api/households/{t['their_hh'].pk}").status_code == 404
    assert client.get(f"/api/registry/grids/{t['theirs'].code}/summary").status_code == 404
    listed = client.get("/api/persons", {"q": their.id_number}).json()
    assert listed["count"] == 0
    assert {p["name"] for p in client.get("/api/persons").json()["items"]} == {"本格甲", "本格乙"}
    posted = client.post(
        "/api/persons",
        json.dumps({"name": "偷登", "household_id": t["their_hh"].pk}),
        content_type="application/json",
    )
    assert posted.status_code == 404


def test_sensitive_groups_need_a_further_permission(client, town):
    hh, (p, _) = household_with_people(
        town.units[0], names=("矫正甲", "家属"), groups=["community_correction"]
    )
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    page = client.get(p.get_absolute_url()).content.decode()
    assert "社区矫正" not in page
    assert client.get(reverse("registry:person_list"), {"group": "community_correction"}).status_code == 200
    assert (
        "矫正甲"
        not in client.get(reverse("registry:person_list"), {"group": "community_correction"}).content.decode()
    )
    assert client.get(f"/api/persons/{p.pk}").json()["groups"] == []
    leader = staff(User.Role.COMMUNITY_STAFF, scope=town.seconds[0])
    client.force_login(leader)
    assert "社区矫正" in client.get(p.get_absolute_url()).content.decode()
    listed = {x["name"]: x["groups"] for x in client.get("/api/persons").json()["items"]}
    assert listed["矫正甲"] == ["community_correction"]


def test_organisations_list_holds_only_the_own_grid(client, two_grids):
    t = two_grids
    registry.register_organisation(grid=t["mine"], name="本格小卖部", kind="individual_business")
    registry.register_organisation(grid=t["theirs"], name="邻格茶厂", kind="enterprise")
    client.force_login(t["worker"])
    page = client.get(reverse("registry:organisation_list")).content.decode()
    assert "本格小卖部" in page and "邻格茶厂" not in page
    from wangge.core.excel import read_rows

    _, rows = read_rows(client.get(reverse("registry:organisation_list"), {"format": "xlsx"}).content)
    assert [r[0] for r in rows] == ["本格小卖部"]
