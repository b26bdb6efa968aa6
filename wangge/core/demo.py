"""The demo town: Aoyang-sized (鳌阳镇, Shouning county, Fujian), generated deterministically.

1 town, 11 second-level grids, 42 third-level, 170 unit grids, 16,970 households. Boundaries
are Voronoi cells clipped to their parent, so each level tiles its parent without gaps or
overlaps. Later modules add their own steps (people, cases...) with `register_step`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import shapely
from django.contrib.auth.hashers import make_password
from django.db import transaction

from wangge.core.names import mobile, person_name
from wangge.core.scenes import apply_scene

SCENE = "rural-town"
CENTER = (119.5105, 27.4600)  # Shouning county town
SEED = 20261124
DEMO_PASSWORD = "Demo@2026"
HOUSEHOLDS = 16970
VALID_FROM = date(2024, 1, 1)

SECOND_LEVEL = [
    ("胜利街社区", "residential"),
    ("茗溪社区", "residential"),
    ("蟾溪社区", "residential"),
    ("仙岩社区", "residential"),
    ("城东社区", "residential"),
    ("南阳社区", "residential"),
    ("北门村", "rural_settlement"),
    ("溪口村", "rural_settlement"),
    ("龙虎村", "rural_settlement"),
    ("大韩村", "rural_settlement"),
    ("后洋村", "rural_settlement"),
]
# 42 third-level grids over 11 second-level ones, 170 unit grids over 42 third-level ones.
THIRD_PER_SECOND = [4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3]
UNITS_PER_THIRD = [5, 5] + [4] * 40


@dataclass
class DemoLogin:
    username: str
    role: str
    title: str
    where: str


_STEPS: list[tuple[int, str, Callable[[random.Random], None]]] = []


def register_step(name: str, fn: Callable[[random.Random], None], *, order: int = 50) -> None:
    _STEPS.append((order, name, fn))


def town_outline(rng: random.Random) -> shapely.Polygon:
    """A lumpy town boundary about 11 km across."""
    cx, cy = CENTER
    pts = []
    n = 48
    phase = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    for i in range(n):
        a = 2 * math.pi * i / n
        r = (
            1
            + 0.12 * math.sin(3 * a + phase[0])
            + 0.07 * math.sin(5 * a + phase[1])
            + 0.04 * math.sin(7 * a + phase[2])
        )
        pts.append((cx + 0.058 * r * math.cos(a), cy + 0.050 * r * math.sin(a)))
    return shapely.Polygon(pts)


def tile(parent: shapely.Geometry, n: int, rng: random.Random) -> list[shapely.Geometry]:
    """Cut a polygon into n cells (Voronoi of n random points inside it, clipped)."""
    minx, miny, maxx, maxy = parent.bounds
    inner = parent.buffer(-min(maxx - minx, maxy - miny) * 0.05)
    inner = inner if not inner.is_empty else parent
    seeds: list[tuple[float, float]] = []
    tries = 0
    while len(seeds) < n:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inner.contains(shapely.Point(x, y)):
            continue
        # Keep seeds apart so cells have a reasonable size.
        spacing = math.sqrt(inner.area / n) * (0.55 if tries < 5000 else 0.2)
        if all((x - a) ** 2 + (y - b) ** 2 > spacing**2 for a, b in seeds):
            seeds.append((x, y))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=parent, ordered=True)
    out = []
    for cell in cells.geoms:
        piece = cell.intersection(parent)
        if piece.geom_type == "GeometryCollection":
            piece = shapely.union_all([g for g in piece.geoms if g.area > 0])
        out.append(shapely.orient_polygons(piece))
    # Sort cells north-west to south-east so codes read like a map.
    out.sort(key=lambda g: (-round(g.centroid.y, 3), g.centroid.x))
    return out


def split_total(total: int, n: int, rng: random.Random, low: float = 0.85, high: float = 1.15) -> list[int]:
    weights = [rng.uniform(low, high) for _ in range(n)]
    s = sum(weights)
    counts = [int(total * w / s) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % n] += 1
    return counts


@transaction.atomic
def load(*, stdout=None) -> list[DemoLogin]:
    """Apply the rural-town scene and build the demo town; returns the demo logins."""
    from wangge.accounts import services as accounts
    from wangge.accounts.models import Department, User
    from wangge.grids import services as grids
    from wangge.grids.geometry import to_geojson
    from wangge.grids.models import GridKind, GridLevel, GridRole

    def say(msg: str) -> None:
        if stdout:
            stdout.write(msg)

    rng = random.Random(SEED)
    apply_scene(SCENE)
    levels = {lv.key: lv for lv in GridLevel.objects.all()}
    kinds = {k.key: k for k in GridKind.objects.all()}
    roles = {r.key: r for r in GridRole.objects.all()}

    outline = town_outline(rng)
    town = grids.create_grid(
        name="鳌阳镇",
        level=levels["town"],
        code="350924001",
        kind=kinds["residential"],
        boundary=to_geojson(outline),
        households=HOUSEHOLDS,
        valid_from=VALID_FROM,
        audited=False,
    )
    second_shapes = tile(outline, len(SECOND_LEVEL), rng)
    second_households = split_total(HOUSEHOLDS, len(SECOND_LEVEL), rng, 0.7, 1.3)
    seconds, thirds, units = [], [], []
    unit_counter = 0
    third_counter = 0
    for i, ((name, kind), shape) in enumerate(zip(SECOND_LEVEL, second_shapes, strict=True)):
        second = grids.create_grid(
            name=name,
            level=levels["second"],
            parent=town,
            kind=kinds[kind],
            boundary=to_geojson(shape),
            households=second_households[i],
            valid_from=VALID_FROM,
            audited=False,
        )
        seconds.append(second)
        n_third = THIRD_PER_SECOND[i]
        third_shapes = tile(shape, n_third, rng)
        short = name.removesuffix("社区").removesuffix("村")
        n_units_here = UNITS_PER_THIRD[third_counter : third_counter + n_third]
        third_households = split_total(second_households[i], n_third, rng)
        for j, tshape in enumerate(third_shapes):
            third = grids.create_grid(
                name=f"{short}第{j + 1}片区",
                level=levels["third"],
                parent=second,
                kind=kinds[kind],
                boundary=to_geojson(tshape),
                households=third_households[j],
                valid_from=VALID_FROM,
                audited=False,
            )
            thirds.append(third)
            unit_shapes = tile(tshape, n_units_here[j], rng)
            unit_households = split_total(third_households[j], n_units_here[j], rng)
            for k, ushape in enumerate(unit_shapes):
                unit_counter += 1
                unit_kind = kind
                if unit_counter % 23 == 0:
                    unit_kind = "businesses"
                elif unit_counter % 37 == 0:
                    unit_kind = "institution"
                units.append(
                    grids.create_grid(
                        name=f"{short}{j + 1}-{k + 1}网格",
                        level=levels["unit"],
                        parent=third,
                        kind=kinds[unit_kind],
                        boundary=to_geojson(ushape),
                        households=unit_households[k],
                        valid_from=VALID_FROM,
                        audited=False,
                    )
                )
        third_counter += n_third
    say(f"网格：1 个镇，{len(seconds)} 个二级网格，{len(thirds)} 个三级网格，{len(units)} 个四级网格")

    # Role holders: 114 full-time workers over 170 unit grids (some cover two), a leader per
    # third-level grid, a liaison cadre per second-level grid, micro-grid leaders in every unit grid.
    def appoint(grid, role_key, name=None, phone=None, user=None):
        name = name or person_name(rng)
        grids.assign_role(
            grid,
            role=roles[role_key],
            person_name=name,
            user=user,
            duty_phone=phone or mobile(rng),
            valid_from=VALID_FROM,
            audited=False,
        )

    for second in seconds:
        appoint(second, "liaison_cadre")
    appoint(town, "supervisor")
    for third in thirds:
        appoint(third, "grid_leader")
    workers = [(person_name(rng), mobile(rng)) for _ in range(114)]
    for idx, unit in enumerate(units):
        appoint(unit, "full_time_worker", *workers[idx if idx < 114 else (idx - 114) * 2 % 114])
        for _ in range(rng.randint(2, 4)):
            appoint(unit, "micro_grid_leader")

    # One login per role. One hash for all: hashing ten passwords one by one costs seconds.
    pw = make_password(DEMO_PASSWORD)
    police = Department.objects.get(key="police")
    housing = Department.objects.get(key="housing")
    # username, role, name, grid it sees, how (scope or a role in the grid), extra fields
    accounts_table = [
        ("admin", User.Role.ADMIN, "系统管理员", None, None, {}),
        ("leader", User.Role.LEADER, "林书记", town, "scope", {}),
        ("centre", User.Role.CENTRE_STAFF, "综治中心值班员", town, "scope", {}),
        ("police", User.Role.DEPARTMENT_STAFF, "派出所民警", town, "scope", {"department": police}),
        # a department officer with no grids: sees only what is dispatched to the department
        ("housing", User.Role.DEPARTMENT_STAFF, "住建局办事员", None, None, {"department": housing}),
        ("community", User.Role.COMMUNITY_STAFF, "社区干部", seconds[0], "scope", {}),
        ("gridleader", User.Role.GRID_LEADER, person_name(rng), thirds[0], "grid_leader", {}),
        ("worker", User.Role.GRID_WORKER, person_name(rng), units[0], "full_time_worker", {}),
        ("worker2", User.Role.GRID_WORKER, person_name(rng), units[-1], "full_time_worker", {}),
        ("micro", User.Role.MICRO_GRID_LEADER, person_name(rng), units[0], "micro_grid_leader", {}),
        ("resident", User.Role.RESIDENT, "居民张女士", None, None, {}),
    ]
    logins: list[DemoLogin] = []
    for n, (username, role, full_name, grid, how, extra) in enumerate(accounts_table, start=1):
        phone = f"138000000{n:02d}"
        u = accounts.create_user(
            username=username,
            password=None,
            password_hash=pw,
            role=role,
            full_name=full_name,
            phone=phone,
            **extra,
        )
        if how == "scope" or how == "micro_grid_leader":  # a micro-grid leader's role grants no jurisdiction
            accounts.grant_scope(u, grid)
        if how and how != "scope":
            appoint(grid, how, str(u), phone, user=u)
        logins.append(DemoLogin(username, User.Role(role).label, str(u), grid.name if grid else "—"))

    import time

    for _order, name, fn in sorted(_STEPS, key=lambda s: s[0]):
        t0 = time.perf_counter()
        fn(rng)
        say(f"加载：{name}（{time.perf_counter() - t0:.1f} 秒）")
    return logins


def logins() -> list[DemoLogin]:
    from wangge.accounts.models import User

    out = []
    for u in User.objects.filter(
        username__in=[
            "admin",
            "leader",
            "centre",
            "police",
            "housing",
            "community",
            "gridleader",
            "worker",
            "worker2",
            "micro",
            "resident",
        ]
    ).order_by("pk"):
        out.append(DemoLogin(u.username, u.get_role_display(), str(u), ""))
    return out
