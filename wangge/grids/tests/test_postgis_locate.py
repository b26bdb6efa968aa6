"""Locating in the database (PostGIS's GiST index on the boundaries) answers as the in-process index does,
point by point: inside a micro-grid, on a grid drawn above undrawn children, outside every grid."""

import random

import pytest
from django.core.management import call_command
from django.db import connection

from wangge.grids import postgis
from wangge.grids import services as grids

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def extension(django_db_setup, django_db_blocker):
    """The extension created once and kept (PostGIS keeps its types' ids in each server process: an
    extension rolled back and made again under the same connection confuses it)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("PostGIS is a PostgreSQL extension (this run is on SQLite)")
        if not postgis.available():
            pytest.skip(
                "PostGIS is not installed on this PostgreSQL server (Debian: postgresql-15-postgis-3)"
            )
        with connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")


@pytest.fixture
def installed(extension, town):
    call_command("grids_postgis", "--install", stdout=open("/dev/null", "w"))
    return town


def test_the_database_locates_every_point_as_the_index_does(installed):
    town = installed
    import shapely

    west, south, east, north = shapely.geometry.shape(town.root.boundary).buffer(0.01).bounds  # and around
    rng = random.Random(7)
    inside = outside = 0
    for _ in range(300):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        expected = grids.locate(lon, lat)
        found = postgis.locate(lon, lat)
        assert (found.pk if found else None) == (expected.leaf.id if expected else None), (lon, lat)
        inside, outside = inside + bool(found), outside + (not found)
    assert inside > 100 and outside > 10  # both answers were put to the test
    assert postgis.locate(*_middle(town.units[3])) == town.units[3]


def test_the_index_is_used(installed):
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")  # a small town's table: ask whether the index can serve
    assert postgis.INDEX in postgis.covering(*_middle(installed.units[0])).explain()


def _middle(grid):
    import shapely

    p = shapely.geometry.shape(grid.boundary).representative_point()
    return p.x, p.y
