"""Locating in the database, where PostGIS is installed: a GiST index on the boundaries' geometry (an
expression index over the GeoJSON the grids keep, so nothing else in the schema changes) and the deepest
grid valid on a day whose boundary covers the point, as the in-process index answers
(`grids/tests/test_postgis_locate.py` compares them point by point; `bench/locate.py` times both).

The in-process index stays the default: it answers in microseconds where a query takes a round trip, and
`wangge.gunicorn_conf` builds it once per server. This is for what the index cannot do: a point located
inside a query of other rows (reports by area, a join), or servers too small to hold the index of a
province. Today's boundaries only (the index also knows a past day's)."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast

from wangge.grids.models import Grid
from wangge.grids.services import active_q

INDEX = "grids_grid_boundary_gist"


class _Geometry(Func):
    """A grid's GeoJSON boundary as a PostGIS geometry (WGS-84): the indexed expression."""

    function = "ST_GeomFromGeoJSON"


class _Point(Func):
    template = "ST_SetSRID(ST_MakePoint(%(expressions)s), 4326)"


class _Intersects(Func):
    function = "ST_Intersects"  # a point: the same as covered (ST_Covers found no index support here)
    output_field = BooleanField()


def available() -> bool:
    """PostgreSQL with the PostGIS extension installed on the server (created or not yet)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        return cur.fetchone() is not None


def install() -> None:
    """The extension and the index (once, by a user allowed to create extensions: `wangge manage
    locate_in_database --install`)."""
    table = connection.ops.quote_name(Grid._meta.db_table)
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gist "
            "((ST_GeomFromGeoJSON(boundary::text))) WHERE boundary IS NOT NULL"
        )
        cur.execute(f"ANALYZE {table}")


def covering(lon: float, lat: float, on: date | None = None) -> QuerySet[Grid]:
    """The grids valid on the day (today) whose boundary covers the point, the deepest first."""
    covers = _Intersects(
        _Geometry(Cast(F("boundary"), TextField())), _Point(Value(float(lon)), Value(float(lat)))
    )
    return (
        Grid.objects.filter(active_q(on), boundary__isnull=False)
        .alias(holds=covers)
        .filter(holds=True)
        .order_by("-depth", "pk")
    )


def locate(lon: float, lat: float, on: date | None = None) -> Grid | None:
    """The deepest grid valid on the day (today) whose boundary covers the point, or None."""
    return covering(lon, lat, on).first()
