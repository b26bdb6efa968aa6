"""The `fieldwork` section of a scene: visit rules (三必访, 日必联、周必访、月必谈...) and checklists."""

from __future__ import annotations

from pydantic import Field

from wangge.core.scenes import SceneError, SceneModel, applied_section, register_section
from wangge.fieldwork.models import VisitRule
from wangge.registry import services as registry


class RuleIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    kind: str = Field(default="visit", pattern=r"^(visit|contact)$")
    # "1y", "1q", "1m", "2w", "7d"
    every: str = Field(default="1y", pattern=r"^[1-9][0-9]{0,2}[dwmqy]$")
    groups: list[str] = []
    residences: list[str] = []
    hazards: bool = False
    first_within_days: int = Field(default=7, ge=0, le=365)
    checklist: list[str] = []


class FieldworkSection(SceneModel):
    rules: list[RuleIn] = []
    # the joint patrol's checklist by area (物业服务, 环境卫生, 公共设施) and who walks it
    patrol_checklist: dict[str, list[str]] = {}
    patrol_roles: list[str] = []
    # 帮办代办: the services grid workers help residents with
    service_kinds: list[str] = []


def settings() -> FieldworkSection:
    return applied_section("fieldwork", FieldworkSection) or FieldworkSection()


UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}


def apply(section: FieldworkSection) -> None:
    groups = registry.special_group_keys()
    residences = [value for value, _label in registry.RESIDENCES]
    errors = []
    for r in section.rules:
        errors += [f"fieldwork.rules：规则 {r.key} 的特殊人群 {g} 不在 registry.special_groups 中"
                   for g in r.groups if g not in groups]  # fmt: skip
        errors += [f"fieldwork.rules：规则 {r.key} 的户别 {x} 应为 {'、'.join(residences)}"
                   for x in r.residences if x not in residences]  # fmt: skip
    if errors:
        raise SceneError(errors)
    for order, r in enumerate(section.rules):
        VisitRule.objects.update_or_create(
            key=r.key,
            defaults=dict(
                name=r.name,
                name_en=r.name_en,
                kind=r.kind,
                every=int(r.every[:-1]),
                unit=UNITS[r.every[-1]],
                groups=r.groups,
                residences=r.residences,
                hazards=r.hazards,
                first_within_days=r.first_within_days,
                checklist=r.checklist,
                order=order,
            ),
        )


def register() -> None:
    register_section("fieldwork", FieldworkSection, apply, order=70)
