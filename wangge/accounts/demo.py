"""The demo town's platform part: the grid tree (Voronoi cells clipped to their parent, so each level
tiles its parent without gaps or overlaps), its role holders and one login per role. Registered first
among the demo's steps; the modules add people, cases and the rest after it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from wangge.accounts import services as accounts
from wangge.accounts.models import Department, User
from wangge.core.demo import (
    DEMO_PASSWORD,
    ESTATES,
    HOUSEHOLDS,
    NUMBERS,
    SECOND_LEVEL,
    THIRD_PER_SECOND,
    UNITS_PER_THIRD,
    VALID_FROM,
    DemoLogin,
    register_step,
    split_total,
    tile,
    town_outline,
)
from wangge.core.names import mobile, person_name
from wangge.grids import services as grids
from wangge.grids.geometry import to_geojson
from wangge.grids.models import Grid, GridKind, GridLevel, GridRole


def register() -> None:
    register_step("网格、网格员与演示账号", build, order=0)


def build(rng: random.Random) -> list[DemoLogin]:
    """The town's grids, their role holders and the demo logins (one generator through all three, in
    this order: the same town each time)."""
    tree = grid_tree(rng)
    print(
        f"网格：1 个镇，{len(tree.seconds)} 个二级网格，{len(tree.thirds)} 个三级网格，"
        f"{len(tree.units)} 个四级网格"
    )
    appoint = Appointer(rng)
    role_holders(tree, appoint, rng)
    return demo_logins(tree, appoint, rng)


@dataclass
class Tree:
    town: Grid
    seconds: list[Grid] = field(default_factory=list)
    thirds: list[Grid] = field(default_factory=list)
    units: list[Grid] = field(default_factory=list)


def grid_tree(rng: random.Random) -> Tree:
    """1 town, 11 second-level grids, 42 third-level, 170 unit grids: Voronoi cells, each level tiling
    its parent; every 23rd unit grid a business area, every 37th an institution."""
    levels = {lv.key: lv for lv in GridLevel.objects.all()}
    kinds = {k.key: k for k in GridKind.objects.all()}

    def grid(name, level, kind, shape, households, parent=None):
        return grids.create_grid(
            name=name,
            level=levels[level],
            parent=parent,
            kind=kinds[kind],
            boundary=to_geojson(shape),
            households=households,
            valid_from=VALID_FROM,
            audited=False,
            **({} if parent else {"code": "350924001"}),
        )

    outline = town_outline(rng)
    tree = Tree(grid("鳌阳镇", "town", "residential", outline, HOUSEHOLDS))
    second_shapes = tile(outline, len(SECOND_LEVEL), rng)
    second_households = split_total(HOUSEHOLDS, len(SECOND_LEVEL), rng, 0.7, 1.3)
    unit_counter = 0
    third_counter = 0
    for i, ((name, kind), shape) in enumerate(zip(SECOND_LEVEL, second_shapes, strict=True)):
        second = grid(name, "second", kind, shape, second_households[i], tree.town)
        tree.seconds.append(second)
        n_third = THIRD_PER_SECOND[i]
        third_shapes = tile(shape, n_third, rng)
        short = name.removesuffix("社区").removesuffix("村")
        n_units_here = UNITS_PER_THIRD[third_counter : third_counter + n_third]
        third_households = split_total(second_households[i], n_third, rng)
        for j, tshape in enumerate(third_shapes):
            third = grid(f"第{NUMBERS[j]}网格", "third", kind, tshape, third_households[j], second)
            tree.thirds.append(third)
            unit_shapes = tile(tshape, n_units_here[j], rng)
            unit_households = split_total(third_households[j], n_units_here[j], rng)
            for k, ushape in enumerate(unit_shapes):
                unit_counter += 1
                unit_kind = kind
                if unit_counter % 23 == 0:
                    unit_kind = "businesses"
                elif unit_counter % 37 == 0:
                    unit_kind = "institution"
                unit_name = ESTATES.get((name, j, k)) or f"{short}{j + 1}-{k + 1}网格"
                tree.units.append(grid(unit_name, "unit", unit_kind, ushape, unit_households[k], third))
        third_counter += n_third
    return tree


class Appointer:
    """Puts someone in a role in a grid: a generated name and phone unless given."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.roles = {r.key: r for r in GridRole.objects.all()}

    def __call__(self, grid, role_key, name=None, phone=None, user=None) -> None:
        grids.assign_role(
            grid,
            role=self.roles[role_key],
            person_name=name or person_name(self.rng),
            user=user,
            duty_phone=phone or mobile(self.rng),
            valid_from=VALID_FROM,
            audited=False,
        )


def role_holders(tree: Tree, appoint: Appointer, rng: random.Random) -> None:
    """114 full-time workers over 170 unit grids (some cover two), a leader per third-level grid, a
    liaison cadre per second-level grid, micro-grid leaders in every unit grid."""
    for second in tree.seconds:
        appoint(second, "liaison_cadre")
    appoint(tree.town, "supervisor")
    for third in tree.thirds:
        appoint(third, "grid_leader")
    workers = [(person_name(rng), mobile(rng)) for _ in range(114)]
    for idx, unit in enumerate(tree.units):
        appoint(unit, "full_time_worker", *workers[idx if idx < 114 else (idx - 114) * 2 % 114])
        for _ in range(rng.randint(2, 4)):
            appoint(unit, "micro_grid_leader")


def demo_logins(tree: Tree, appoint: Appointer, rng: random.Random) -> list[DemoLogin]:
    """One login per role. One hash for all: hashing ten passwords one by one costs seconds."""
    pw = make_password(DEMO_PASSWORD)
    police = Department.objects.get(key="police")
    housing = Department.objects.get(key="housing")
    town, seconds, thirds, units = tree.town, tree.seconds, tree.thirds, tree.units
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

    return logins


def logins() -> list[DemoLogin]:
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
