"""The `grids` section of a scene: levels, kinds and roles."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from wangge.core.scenes import SceneModel, register_section
from wangge.grids.models import GridKind, GridLevel, GridRole


class LevelIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    code_digits: int = Field(ge=1, le=18)
    allowed_parents: list[str] = []


class KindIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    exclusive: bool = False
    color: str = Field(default="#3b82f6", pattern=r"^#[0-9a-fA-F]{6}$")


class RoleIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    levels: list[str] = []
    grants_jurisdiction: bool = True


class GridsSection(SceneModel):
    levels: list[LevelIn] = Field(min_length=1)
    kinds: list[KindIn] = []
    roles: list[RoleIn] = []

    @field_validator("levels", "kinds", "roles")
    @classmethod
    def unique_keys(cls, items):
        keys = [i.key for i in items]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise ValueError(f"标识重复：{', '.join(sorted(dupes))}")
        return items

    @model_validator(mode="after")
    def references(self):
        level_keys = [lv.key for lv in self.levels]
        for lv in self.levels:
            for p in lv.allowed_parents:
                if p not in level_keys or level_keys.index(p) >= level_keys.index(lv.key):
                    raise ValueError(f"层级 {lv.key} 的上级 {p} 不存在或不在其上方")
        for role in self.roles:
            for lk in role.levels:
                if lk not in level_keys:
                    raise ValueError(f"角色 {role.key} 引用了不存在的层级 {lk}")
        return self


def apply(section: GridsSection) -> None:
    # Depths may be reshuffled: park existing rows out of the way of the unique constraint first.
    for lv in GridLevel.objects.all():
        GridLevel.objects.filter(pk=lv.pk).update(depth=1000 + lv.pk)
    for depth, lv in enumerate(section.levels, start=1):
        GridLevel.objects.update_or_create(
            key=lv.key,
            defaults=dict(
                name=lv.name,
                name_en=lv.name_en,
                depth=depth,
                code_digits=lv.code_digits,
                allowed_parent_levels=lv.allowed_parents,
            ),
        )
    for kind in section.kinds:
        GridKind.objects.update_or_create(
            key=kind.key,
            defaults=dict(name=kind.name, name_en=kind.name_en, exclusive=kind.exclusive, color=kind.color),
        )
    for order, role in enumerate(section.roles):
        GridRole.objects.update_or_create(
            key=role.key,
            defaults=dict(
                name=role.name,
                name_en=role.name_en,
                levels=role.levels,
                grants_jurisdiction=role.grants_jurisdiction,
                order=order,
            ),
        )


def register() -> None:
    register_section("grids", GridsSection, apply, order=10)
