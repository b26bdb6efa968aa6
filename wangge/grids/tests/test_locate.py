from datetime import date, timedelta

import pytest

from wangge.grids import coords
from wangge.grids import services as grids

pytestmark = pytest.mark.django_db


def test_point_in_a_unit_grid_is_found_with_its_chain(town):
    unit = town.units[5]
    lon, lat = town.unit_centre(unit)
    hit = grids.locate(lon, lat)
    assert hit is not None
    assert hit.leaf.code == unit.code
    assert [g.code for g in hit.chain] == [g.code for g in grids.chain(unit)]
    assert hit.chain[0].code == town.root.code


def test_point_outside_every_grid_is_reported_as_outside(town):
    answer = grids.locate_answer(100.0, 30.0)
    assert answer.found is False
    assert answer.message == "该位置不在任何网格内"
    assert answer.chain == []


def test_gcj02_and_bd09_points_are_converted_before_locating(town):
    unit = town.units[2]
    lon, lat = town.unit_centre(unit)
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    blon, blat = coords.wgs84_to_bd09(lon, lat)
    assert grids.locate(glon, glat, crs="gcj02").leaf.code == unit.code
    assert grids.locate(blon, blat, crs="bd09").leaf.code == unit.code
    # The GCJ-02 offset is hundreds of metres here: read as WGS-84 it would land elsewhere.
    assert coords.distance_m(lon, lat, glon, glat) > 100


def test_edited_boundary_is_seen_by_the_next_locate(town):
    from django.db import transaction

    unit = town.units[0]
    lon, lat = town.unit_centre(unit)
    assert grids.locate(lon, lat).leaf.code == unit.code
    with transaction.atomic():
        grids.update_grid(
            unit, boundary={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
        )
    grids._index.invalidate()  # test transactions never commit, so on_commit hooks do not run
    assert grids.locate(lon, lat) is None


def test_locate_in_the_past_uses_the_tree_of_that_day(town):
    unit = town.units[0]
    lon, lat = town.unit_centre(unit)
    on = date.today() - timedelta(days=10)
    a, b = grids.split_grid(
        unit,
        pieces=[
            {"name": "左", "boundary": _half(unit, 0)},
            {"name": "右", "boundary": _half(unit, 1)},
        ],
        on=on,
    )
    grids._index.invalidate()
    now_hit = grids.locate(lon - 0.001, lat)
    assert now_hit.leaf.code in {a.code, b.code}
    before = grids.locate(lon - 0.001, lat, on=on - timedelta(days=1))
    assert before.leaf.code == unit.code


def test_bad_crs_and_coordinates_are_refused_in_chinese(town):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        grids.locate_answer(119.5, 27.4, crs="mercator")
    assert "坐标系" in str(exc.value)
    with pytest.raises(ValidationError):
        grids.locate_answer(519.5, 27.4)


def _half(unit, which):
    import shapely

    from wangge.grids.geometry import to_geojson

    minx, miny, maxx, maxy = shapely.geometry.shape(unit.boundary).bounds
    mid = (minx + maxx) / 2
    box = shapely.box(minx, miny, mid, maxy) if which == 0 else shapely.box(mid, miny, maxx, maxy)
    return to_geojson(box)
