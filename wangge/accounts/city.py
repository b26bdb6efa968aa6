"""The generated city's people at work (`wangge demo city`): the city's command centre and leader, a
leader per district, an officer per department, and a full-time worker in the first grid of every
community (the logins the city's benchmark signs in with: `city-centre`, `city-leader`, `district1`,
`worker` + the grid's code). One password hash for all, as the demo town's logins."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from wangge.accounts import services as accounts
from wangge.accounts.models import Department, User
from wangge.core.demo import DEMO_PASSWORD, CitySize, register_city_step
from wangge.core.names import mobile, person_name
from wangge.grids import services as grids
from wangge.grids.models import Grid, GridRole


@transaction.atomic
def load(size: CitySize, rng: random.Random) -> str:
    pw = make_password(DEMO_PASSWORD)
    city = Grid.objects.get(depth=1)

    def user(username: str, role: str, name: str, **extra) -> User:
        return accounts.create_user(
            username=username,
            password=None,
            password_hash=pw,
            role=role,
            full_name=name,
            phone=mobile(rng),
            **extra,
        )

    accounts.grant_scope(user("city-centre", User.Role.CENTRE_STAFF, "市城运中心值班员"), city)
    accounts.grant_scope(user("city-leader", User.Role.LEADER, "市委政法委领导"), city)
    user("city-admin", User.Role.ADMIN, "系统管理员")
    for n, district in enumerate(Grid.objects.filter(depth=2).order_by("path"), start=1):
        accounts.grant_scope(user(f"district{n}", User.Role.LEADER, f"{district.name}领导"), district)
    for department in Department.objects.order_by("key"):
        officer = user(
            f"dept-{department.key}",
            User.Role.DEPARTMENT_STAFF,
            f"{department.name}办事员",
            department=department,
        )
        accounts.grant_scope(officer, city)
    worker_role = GridRole.objects.get(key="full_time_worker")
    firsts = Grid.objects.filter(depth=5, path__endswith="0001").select_related("level").order_by("path")
    workers = 0
    for grid in firsts:  # the first grid of every community
        name = person_name(rng)
        u = user(f"worker{grid.code}", User.Role.GRID_WORKER, name)
        grids.assign_role(
            grid, role=worker_role, person_name=name, user=u, duty_phone=mobile(rng), audited=False
        )
        workers += 1
    return f"{workers:,} 名网格员，{Grid.objects.filter(depth=2).count()} 名区领导，城运中心与各部门账号"


def register() -> None:
    register_city_step("账号", load, order=20)
