"""The `accounts` section of a scene: the departments of the place."""

from __future__ import annotations

from pydantic import Field

from wangge.accounts.models import Department
from wangge.core.scenes import SceneModel, register_section


class DepartmentIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""


class AccountsSection(SceneModel):
    departments: list[DepartmentIn] = []


def apply(section: AccountsSection) -> None:
    for dept in section.departments:
        Department.objects.update_or_create(key=dept.key, defaults=dict(name=dept.name, name_en=dept.name_en))


def register() -> None:
    register_section("accounts", AccountsSection, apply, order=20)
