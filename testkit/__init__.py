"""Test helpers shared by every app (not shipped with the package): a small square town built through
the services, and its users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import factory
import shapely

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.core.scenes import apply_scene
from wangge.grids import services as grids
from wangge.grids.geometry import to_geojson
from wangge.grids.models import Grid, GridKind, GridLevel, GridRole

ORIGIN = (119.50, 27.45)
START = date(2024, 1, 1)


def square(x0: float, y0: float, size: float) -> dict:
    return to_geojson(shapely.box(x0, y0, x0 + size, y0 + size))  # type: ignore[return-value]


@dataclass
class Town:
    root: Grid
    seconds: list[Grid] = field(default_factory=list)
    thirds: list[Grid] = field(default_factory=list)
    units: list[Grid] = field(default_factory=list)

    def unit_centre(self, unit: Grid) -> tuple[float, float]:
        shape = shapely.geometry.shape(unit.boundary)
        return shape.centroid.x, shape.centroid.y


TOWN_CODE = "350924901"


def the_town() -> Town:
    """The small town the test database starts with (conftest), or a new one where a test that commits
    has emptied the database."""
    root = Grid.objects.filter(code=TOWN_CODE).first()
    if root is None:
        return build_town()
    below = Grid.objects.filter(grids.subtree_q(root.path)).order_by("path")
    return Town(
        root,
        seconds=[g for g in below if g.depth == 2],
        thirds=[g for g in below if g.depth == 3],
        units=[g for g in below if g.depth == 4],
    )


def build_town(size: float = 0.04) -> Town:
    """Rural-town scene; a square town: 1 town, 2 second-level, 4 third-level, 8 unit grids."""
    apply_scene("rural-town")
    lv = {x.key: x for x in GridLevel.objects.all()}
    kind = GridKind.objects.get(key="residential")
    x0, y0 = ORIGIN
    root = grids.create_grid(
        name="测试镇",
        level=lv["town"],
        code=TOWN_CODE,
        kind=kind,
        boundary=square(x0, y0, size),
        valid_from=START,
    )
    town = Town(root)
    half, quarter = size / 2, size / 4
    for i in range(2):  # two second-level grids side by side
        sx = x0 + i * half
        second = grids.create_grid(
            name=f"第{i + 1}村",
            level=lv["second"],
            parent=root,
            kind=kind,
            boundary=to_geojson(shapely.box(sx, y0, sx + half, y0 + size)),
            valid_from=START,
        )
        town.seconds.append(second)
        for j in range(2):  # each cut into two third-level grids (bottom, top)
            sy = y0 + j * half
            third = grids.create_grid(
                name=f"第{i + 1}村{j + 1}片",
                level=lv["third"],
                parent=second,
                kind=kind,
                boundary=to_geojson(shapely.box(sx, sy, sx + half, sy + half)),
                valid_from=START,
            )
            town.thirds.append(third)
            for k in range(2):  # each cut into two unit grids (left, right)
                ux = sx + k * quarter
                unit = grids.create_grid(
                    name=f"第{i + 1}村{j + 1}片{k + 1}格",
                    level=lv["unit"],
                    parent=third,
                    kind=kind,
                    boundary=to_geojson(shapely.box(ux, sy, ux + quarter, sy + half)),
                    households=100,
                    valid_from=START,
                )
                town.units.append(unit)
    return town


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = User.Role.GRID_WORKER
    password = factory.django.Password("Secret-pass-2026")


def grid_worker(grid: Grid, **kwargs) -> User:
    """A grid worker holding the full-time worker role in `grid` (which grants its jurisdiction)."""
    user = UserFactory(role=User.Role.GRID_WORKER, **kwargs)
    grids.assign_role(
        grid, role=GridRole.objects.get(key="full_time_worker"), user=user, duty_phone="13900000000"
    )
    return user


def staff(role: str, *, scope: Grid | None = None, **kwargs) -> User:
    user = UserFactory(role=role, is_superuser=(role == User.Role.ADMIN), **kwargs)
    if scope is not None:
        accounts.grant_scope(user, scope)
    return user


def wait_for(check, timeout: float = 15.0) -> bool:
    """For browser tests: poll `check` until it holds or `timeout` seconds pass (what the server stored
    after a page's script sent it)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return check()
