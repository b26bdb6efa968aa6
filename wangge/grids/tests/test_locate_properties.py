"""Property tests: any point strictly inside a leaf is found in that leaf; any point outside is outside."""

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit import ORIGIN
from wangge.grids import services as grids

pytestmark = pytest.mark.django_db

SIZE = 0.04
fraction = st.floats(min_value=0.02, max_value=0.98)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit_index=st.integers(min_value=0, max_value=7), fx=fraction, fy=fraction)
def test_point_inside_a_leaf_is_found_in_that_leaf_and_its_chain(town, unit_index, fx, fy):
    unit = town.units[unit_index]
    minx, miny, maxx, maxy = shapely.geometry.shape(unit.boundary).bounds
    lon, lat = minx + fx * (maxx - minx), miny + fy * (maxy - miny)
    hit = grids.locate(lon, lat)
    assert hit is not None and hit.leaf.code == unit.code
    assert [g.code for g in hit.chain] == [g.code for g in grids.chain(unit)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dx=st.floats(min_value=-1.0, max_value=1.0), dy=st.floats(min_value=-1.0, max_value=1.0))
def test_point_outside_the_town_is_outside(town, dx, dy):
    x0, y0 = ORIGIN
    lon, lat = x0 + SIZE / 2 + dx, y0 + SIZE / 2 + dy
    inside = x0 - 1e-9 <= lon <= x0 + SIZE + 1e-9 and y0 - 1e-9 <= lat <= y0 + SIZE + 1e-9
    hit = grids.locate(lon, lat)
    assert (hit is not None) == inside
