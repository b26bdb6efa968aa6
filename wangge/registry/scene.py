"""The `registry` section of a scene: the special groups of the place."""

from __future__ import annotations

from pydantic import Field

from wangge.accounts.models import Department
from wangge.core.scenes import SceneError, SceneModel, register_section
from wangge.registry.models import SpecialGroup


class GroupIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    standard_class: str = Field(
        default="actual_population", pattern=r"^(actual_population|special_population|key_youth)$"
    )
    sensitive: bool = False
    supervised_by: list[str] = []  # department keys
    vulnerable: bool = False  # looked for first in an emergency


class RegistrySection(SceneModel):
    special_groups: list[GroupIn] = []
    # the site's own area as addresses begin with it (福建省宁德市寿宁县): taken off written addresses before
    # they are matched to the address base
    address_area: str = ""


def apply(section: RegistrySection) -> None:
    known = set(Department.objects.values_list("key", flat=True))
    unknown = sorted({d for g in section.special_groups for d in g.supervised_by} - known)
    if unknown:
        raise SceneError([f"registry.special_groups.supervised_by：未知的部门 {'、'.join(unknown)}"])
    for order, g in enumerate(section.special_groups):
        SpecialGroup.objects.update_or_create(
            key=g.key,
            defaults=dict(
                name=g.name,
                name_en=g.name_en,
                standard_class=g.standard_class,
                sensitive=g.sensitive,
                supervised_by=g.supervised_by,
                vulnerable=g.vulnerable,
                order=order,
            ),
        )


def register() -> None:
    register_section("registry", RegistrySection, apply, order=30)
