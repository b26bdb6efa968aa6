"""The `mediation` section of a scene: dispute types, and the grid level that files the monthly report."""

from __future__ import annotations

from pydantic import Field, field_validator

from wangge.core.scenes import SceneError, SceneModel, applied_section, register_section
from wangge.grids.models import GridLevel
from wangge.mediation.models import DisputeType


class TypeIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""


class MediationSection(SceneModel):
    report_level: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    # days a dispute may stay at each level before it goes up (楼栋/单元长 → 社区 → 街道中心)
    level_days: dict[str, int] = {"unit": 3, "community": 15, "street": 30}
    types: list[TypeIn] = []

    @field_validator("level_days")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        for level, days in value.items():
            if level not in ("unit", "community", "street"):
                raise ValueError(f"未知的调解层级 {level}（可用：unit、community、street）")
            if not 1 <= days <= 365:
                raise ValueError(f"{level} 的调解期限应在 1 到 365 天之间")
        return value


def settings() -> MediationSection | None:
    return applied_section("mediation", MediationSection)


def apply(section: MediationSection) -> None:
    if not GridLevel.objects.filter(key=section.report_level).exists():
        raise SceneError([f"mediation.report_level：网格层级 {section.report_level} 不在 grids.levels 中"])
    for order, t in enumerate(section.types):
        DisputeType.objects.update_or_create(
            key=t.key, defaults={"name": t.name, "name_en": t.name_en, "order": order}
        )


def register() -> None:
    register_section("mediation", MediationSection, apply, order=75)
