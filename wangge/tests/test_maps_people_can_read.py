"""Maps people can read: a map coloured by a chosen figure, each grid's total over its subtree and only
what the user may see; the buildings drawn under the grids; a round's map with its grid, its buildings and
the households due, labelled."""

import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker
from wangge.cases import services as cases
from wangge.cases.tests.helpers import Cast, inside, report
from wangge.fieldwork.models import Duty
from wangge.registry import services as registry
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def values(client, grid, figure: str, depth: int = 3) -> dict[str, int]:
    url = reverse("grids:grid_geojson", args=[grid.code])
    fc = client.get(url, {"depth": depth, "figure": figure}).json()
    return {f["properties"]["code"]: f["properties"].get("value") for f in fc["features"]}


def test_the_map_coloured_by_open_cases_adds_each_grids_subtree_up(client, town):
    cast = Cast(town)
    a, _b = report(town.units[0]), report(town.units[0])
    report(town.units[1])
    report(town.units[7])
    cases.accept(a, by=cast.centre)
    client.force_login(cast.centre)
    page = client.get(reverse("grids:grid_map", args=[town.root.code]), {"by": "open_cases"}).content.decode()
    assert 'value="open_cases" selected' in page and "按未结事件" in page and "按本周应访户" in page
    assert 'data-figure-label="未结事件"' in page
    open_in = {
        g: cases.visible_cases(cast.centre).filter(status__in=cases.OPEN, grid=g).count() for g in town.units
    }
    got = values(client, town.root, "open_cases")
    assert got[town.units[0].code] == open_in[town.units[0]] >= 1
    assert got[town.units[1].code] == 1 and got[town.units[7].code] == 1 and got[town.units[3].code] == 0
    assert got[town.thirds[0].code] == open_in[town.units[0]] + 1  # the two grids below it
    assert got[town.root.code] == sum(open_in.values())
    assert set(values(client, town.root, "overdue_cases").values()) == {0}  # nothing late yet


def test_a_figure_counts_only_what_the_user_sees_and_an_unknown_one_colours_by_level(client, town):
    report(town.units[0])
    report(town.units[7])
    worker = grid_worker(town.units[7])
    client.force_login(worker)
    assert values(client, town.units[7], "open_cases", depth=0) == {town.units[7].code: 1}
    url = reverse("grids:grid_geojson", args=[town.units[0].code])
    assert client.get(url, {"figure": "open_cases"}).status_code == 404  # not the worker's grid: no count
    assert values(client, town.units[7], "no_such_figure", depth=0) == {town.units[7].code: None}
    page = client.get(reverse("grids:grid_map", args=[town.units[7].code]), {"by": "no_such_figure"})
    assert 'data-colour-by="level"' in page.content.decode()


def test_the_map_of_households_due_this_week(client, town):
    household_with_people(town.units[2])
    hh, _people = household_with_people(town.units[2])
    Duty.objects.filter(household=hh).update(due_on=timezone.localdate())
    client.force_login(Cast(town).centre)
    got = values(client, town.root, "visits_due")
    assert got[town.units[2].code] == 1 and got[town.seconds[0].code] == 1 and got[town.units[0].code] == 0


def test_the_grid_map_draws_the_buildings_of_the_users_grids(client, town):
    lon, lat = inside(town.units[0])
    registry.create_building(grid=town.units[0], name="3栋", address="幸福路3号3栋", lon=lon, lat=lat)
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    page = client.get(reverse("grids:grid_map", args=[town.units[0].code])).content.decode()
    points_url = reverse("registry:grid_points", args=[town.units[0].code])
    assert f'data-points="{points_url}"' in page
    names = [f["properties"]["name"] for f in client.get(points_url).json()["features"]]
    assert names == ["3栋"]
    client.force_login(grid_worker(town.units[7]))  # another grid's worker: not their buildings
    assert client.get(points_url).status_code == 404


def test_the_round_map_has_the_grid_its_buildings_and_the_households_due_by_room(client, town):
    unit = town.units[0]
    lon, lat = inside(unit)
    building = registry.create_building(grid=unit, name="3栋", address="幸福路3号3栋", lon=lon, lat=lat)
    house = registry.create_house(address="幸福路3号3栋502室", building=building, room="502")
    hh = registry.create_household(house=house, phone="13912340000")
    Duty.objects.filter(household=hh).update(due_on=timezone.localdate())
    client.force_login(grid_worker(unit))
    page = client.get(reverse("fieldwork:round"), {"tab": "today"})
    html = page.content.decode()
    assert f'data-geojson="{reverse("grids:grid_geojson", args=[unit.code])}?depth=1"' in html
    assert f'data-points="{reverse("registry:grid_points", args=[unit.code])}"' in html
    stops = page.context["points"]
    assert [(s["short"], s["lon"], s["lat"]) for s in stops] == [("502", lon, lat)]
