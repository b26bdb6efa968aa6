"""Registry test data made through the services, with valid ID numbers."""

import itertools
from datetime import date

from wangge.registry import services as registry
from wangge.registry.validators import make_citizen_id

_serial = itertools.count(1)


def citizen_id(born: date = date(1980, 5, 17), male: bool = True) -> str:
    return make_citizen_id("350924", born, next(_serial), male)


def household_with_people(grid, *, names=("王建国", "李秀英"), address=None, groups=()):
    house = registry.create_house(grid=grid, address=address or f"{grid.name}幸福路{next(_serial)}号")
    hh = registry.create_household(house=house, phone="13912340000")
    people = []
    for i, name in enumerate(names):
        people.append(
            registry.register_person(
                registry.PersonIn(
                    name=name,
                    id_number=citizen_id(date(1950 + i, 3, 4), male=(i % 2 == 0)),
                    phone=f"1391234{next(_serial):04d}",
                    relation="head" if i == 0 else "spouse",
                    groups=tuple(groups) if i == 0 else (),
                ),
                household=hh,
            )
        )
    return hh, people
