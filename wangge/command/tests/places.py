"""Places and people for the command module's tests: a town's unit with vulnerable people at their doors,
one without a point, a dangerous house, and a far unit with one more."""

import itertools
from datetime import date, timedelta

import shapely

from wangge.registry import services as registry
from wangge.registry.models import SpecialGroup
from wangge.registry.tests.factories import citizen_id


def middle(grid) -> tuple[float, float]:
    p = shapely.geometry.shape(grid.boundary).centroid
    return p.x, p.y


def square_around(lon: float, lat: float, half: float) -> dict:
    west, east, south, north = lon - half, lon + half, lat - half, lat + half
    ring = [[west, south], [east, south], [east, north], [west, north]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


BIRTHDAYS = itertools.count()  # one ID number each


def resident(grid, name: str, group: str | None, *, point=None, phone="13912345678"):
    lon, lat = point or (None, None)
    house = registry.create_house(grid=grid, address=f"{grid.name}幸福路{name}号", lon=lon, lat=lat)
    household = registry.create_household(house=house, phone="13900000000")
    person = registry.register_person(
        registry.PersonIn(
            name=name,
            id_number=citizen_id(date(1940, 1, 1) + timedelta(days=next(BIRTHDAYS))),
            phone=phone,
            relation="head",
        ),
        household=household,
    )
    if group:
        registry.add_membership(person, group=SpecialGroup.objects.get(key=group))
    return person, house
