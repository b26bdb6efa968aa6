"""Out of jurisdiction answers exactly like "not found", through every grid page and API route."""

import json

import pytest
from django.urls import URLPattern, get_resolver, reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.grids import services as grids

pytestmark = pytest.mark.django_db


def grid_page_names():
    """Every grids page that takes a grid code (found from the URLconf, so new pages are covered)."""
    resolver = get_resolver().url_patterns
    names = []
    for top in resolver:
        if getattr(top, "namespace", None) == "grids":
            for p in top.url_patterns:
                if isinstance(p, URLPattern) and "code" in p.pattern.converters:
                    names.append(p.name)
    assert len(names) >= 14
    return names


def _page_url(name: str, code: str) -> str:
    if name == "end_role":
        return reverse(f"grids:{name}", args=[code, 1])
    return reverse(f"grids:{name}", args=[code])


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_grid_page_of_another_grid_is_not_found(client, town, method):
    # Community staff may edit, so permission checks pass and only jurisdiction decides.
    user = staff(User.Role.COMMUNITY_STAFF, scope=town.seconds[0])
    client.force_login(user)
    other = town.units[-1]  # under seconds[1]
    own = town.units[0]
    for name in grid_page_names():
        if method == "post" and name in {
            "grid_detail",
            "tree_children",
            "grid_map",
            "grid_geojson",
            "board",
            "coverage",
            "export_geojson",
            "export_xlsx",
        }:
            continue
        if method == "get" and name == "end_role":  # POST only
            continue
        response = getattr(client, method)(_page_url(name, other.code))
        assert response.status_code == 404, (name, response.status_code)
        if method == "get":
            assert getattr(client, method)(_page_url(name, own.code)).status_code == 200, name


def test_worker_cannot_read_the_grid_next_door_through_any_api_route(client, town):
    mine, theirs = town.units[0], town.units[1]
    client.force_login(grid_worker(mine))
    reads = ["/api/grids/{code}", "/api/grids/{code}/geojson", "/api/grids/{code}/coverage"]
    for route in reads:
        assert client.get(route.format(code=mine.code)).status_code == 200, route
        response = client.get(route.format(code=theirs.code))
        assert response.status_code == 404, route
        assert response.json()["detail"] == "未找到"
    listing = client.get("/api/grids", {"page_size": 500}).json()
    assert {g["code"] for g in listing["items"]} == {mine.code}
    assert client.get("/api/grids", {"q": theirs.code}).json()["count"] == 0


def test_api_writes_to_another_grid_are_not_found(client, town):
    user = staff(User.Role.COMMUNITY_STAFF, scope=town.seconds[0])
    client.force_login(user)
    other = town.units[-1]
    body = json.dumps({"name": "改名"})
    assert client.patch(f"/api/grids/{other.code}", body, content_type="application/json").status_code == 404
    assert (
        client.post(f"/api/grids/{other.code}/close", "{}", content_type="application/json").status_code
        == 404
    )
    assert (
        client.post(
            f"/api/grids/{other.code}/roles",
            json.dumps({"role": "full_time_worker", "person_name": "某人"}),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/grids/merge",
            json.dumps({"codes": [town.units[0].code, other.code], "name": "x"}),
            content_type="application/json",
        ).status_code
        == 404
    )
    from wangge.grids.models import Grid

    assert Grid.objects.get(pk=other.pk).name == other.name


def test_a_role_assignment_in_another_grid_cannot_be_ended(client, town):
    from wangge.grids.models import GridRole

    leader = staff(User.Role.COMMUNITY_STAFF, scope=town.seconds[0])
    other = town.units[-1]
    a = grids.assign_role(other, role=GridRole.objects.get(key="full_time_worker"), person_name="李四")
    client.force_login(leader)
    assert client.post(f"/api/roles/{a.pk}/end").status_code == 404
    assert client.post(reverse("grids:end_role", args=[other.code, a.pk])).status_code == 404
    a.refresh_from_db()
    assert a.valid_to is None


def test_role_holders_see_their_grid_and_lose_it_when_the_role_ends(client, town):
    unit = town.units[3]
    worker = grid_worker(unit)
    client.force_login(worker)
    assert client.get(unit.get_absolute_url()).status_code == 200
    grids.end_assignment(worker.grid_assignments.get())
    assert client.get(unit.get_absolute_url()).status_code == 404


# A minimal valid body for each API route that takes a grid code, so the request reaches the
# jurisdiction check instead of failing validation. A new {code} route fails the test until listed.
API_BODIES = {
    ("get", "/api/grids/{code}"): None,
    ("patch", "/api/grids/{code}"): {"name": "改名"},
    ("get", "/api/grids/{code}/geojson"): None,
    ("get", "/api/grids/{code}/boundaries"): None,
    ("get", "/api/grids/{code}/coverage"): None,
    ("get", "/api/grids/{code}/export"): None,
    ("post", "/api/grids/{code}/close"): {},
    ("post", "/api/grids/{code}/split"): {"pieces": []},
    ("post", "/api/grids/{code}/roles"): {"role": "full_time_worker", "person_name": "某人"},
    ("get", "/api/registry/grids/{code}/summary"): None,
}


def test_every_api_route_with_a_grid_code_answers_not_found_out_of_jurisdiction(client, town):
    from wangge.api import api

    routes = {
        (method, path)
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method in ops
        if "{code}" in path
    }
    assert routes == set(API_BODIES), "list the new route in API_BODIES"
    client.force_login(staff(User.Role.CENTRE_STAFF, scope=town.seconds[0]))
    other = town.units[-1]
    for (method, path), body in API_BODIES.items():
        url = path.format(code=other.code)
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code, response.content[:200])
        assert response.json()["detail"] == "未找到"
