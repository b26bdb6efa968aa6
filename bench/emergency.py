"""应急排查 at 1,000,000 persons and 100,000 houses over the demo town, on SQLite and (with DATABASE_URL)
PostgreSQL: the area search for a circle round the town's middle holding about 5% of the people, beside
the floor of reading the persons of the grids that the area touches (id, name, their house's point).
Targets: under 1 s, and within 3x of the floor.

The houses are spread at random points inside the unit grids, one household each, the persons spread
over the households (bench/registry.py's people, about 5% of them in a special group).
"""

from __future__ import annotations

import math
import random
import statistics
import time

from bench.common import figure, run_per_database, setup_django

HOUSES = 100_000
TARGET_S = 1.0
TARGET_RATIO = 3.0
SHARE = 0.05  # of the town's area, so about of its people


def fill_houses(rng: random.Random) -> list[tuple[int, int]]:
    """The demo town, then houses up to HOUSES at random points of the unit grids, a household in each;
    returns (grid id, household id) of the new households."""
    import json

    import shapely
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.core import demo
    from wangge.core.bulk import insert_records, reserve_ids
    from wangge.grids.models import Grid
    from wangge.registry.models import House, Household

    demo.load()
    units = [(g.pk, g.code, shapely.from_geojson(json.dumps(g.boundary)))
             for g in Grid.objects.filter(depth=4).exclude(boundary=None)]  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    n = HOUSES - House.objects.count()
    t0 = time.perf_counter()
    with transaction.atomic():
        house_ids, household_ids = reserve_ids(House, n), reserve_ids(Household, n)
        houses, households, homes = [], [], []
        for i, (house_id, household_id) in enumerate(zip(house_ids, household_ids, strict=True)):
            grid_id, code, shape = units[i % len(units)]
            minx, miny, maxx, maxy = shape.bounds
            while True:  # a random point inside the grid
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if shapely.contains_xy(shape, lon, lat):
                    break
            houses.append({"id": house_id, "created": now, "last_updated": now, "grid_id": grid_id,
                           "building_id": None, "address": f"应急测试路{i}号", "room": "", "use": "own",
                           "area_m2": None, "lon": lon, "lat": lat})  # fmt: skip
            households.append({"id": household_id, "created": now, "last_updated": now, "grid_id": grid_id,
                               "house_id": house_id, "number": f"{code}E{i:06d}", "residence": "registered",
                               "head_id": None, "phone": "", "phone_index": "", "active": True})  # fmt: skip
            homes.append((grid_id, household_id))
        insert_records(House, houses)
        insert_records(Household, households)
    print(f"added {n:,} houses and households in {time.perf_counter() - t0:.1f} s", flush=True)
    return homes


def measure(vendor: str) -> dict[str, dict]:
    import shapely
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.command import services
    from wangge.grids import services as grids
    from wangge.grids.models import Grid
    from wangge.registry.models import Person

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    centre = User.objects.get(username="centre")
    town = Grid.objects.get(depth=1)
    shape = shapely.from_geojson(__import__("json").dumps(town.boundary))
    middle = shape.centroid
    # a circle of SHARE of the town's area, in metres on the ground
    area_m2 = shape.area * 111_320**2 * math.cos(math.radians(middle.y))
    radius = math.sqrt(SHARE * area_m2 / math.pi)
    area = services.area_from(centre, lon=middle.x, lat=middle.y, radius_m=radius)
    touched = [located.leaf.id for located, _whole in grids.leaves_touching(area.shape)]

    def search():
        return services.find_in_area(centre, area)

    def floor():
        rows = Person.objects.filter(grid_id__in=touched).values_list(
            "pk", "name", "household__house__lon", "household__house__lat"
        )
        return list(rows)

    search()
    floor()  # warm
    times, floors = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        found = search()
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        read = floor()
        floors.append(time.perf_counter() - t0)
    value, base = statistics.median(times), statistics.median(floors)
    points = [(r[2], r[3]) for r in read if r[2] is not None]
    inside = int(shapely.contains_xy(area.shape, [p[0] for p in points], [p[1] for p in points]).sum())
    share = inside / Person.objects.count()
    print(f"{vendor}: radius {radius:.0f} m, {len(touched)} grids touched, {len(read):,} persons read, "
          f"{inside:,} inside ({share:.1%}); found {len(found.people):,} vulnerable, "
          f"{len(found.houses)} dangerous houses", flush=True)  # fmt: skip
    note = (
        f"{len(found.people)} people found among {inside} inside; baseline: the touched grids' persons read"
    )
    return {
        f"{vendor}_area_search_s": figure(
            value, "s", baseline=base, target=TARGET_S, lower_is_better=True, note=note
        ),
        f"{vendor}_area_search_ratio": figure(
            value / base, "x", baseline=None, target=TARGET_RATIO, lower_is_better=True,
            note="the search over its floor",
        ),
    }  # fmt: skip


def run_one(database_url: str | None) -> dict:
    setup_django("emergency", database_url=database_url)
    from django.db import connection

    from bench import registry

    rng = random.Random(11)
    registry.fill(rng, homes=fill_houses(rng))
    return measure(connection.vendor)


def main() -> None:
    run_per_database("emergency", "bench.emergency", run_one, {"persons": 1_000_000, "houses": HOUSES})


if __name__ == "__main__":
    main()
