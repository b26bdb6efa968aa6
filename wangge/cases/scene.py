"""The `cases` section of a scene: the dispatch catalogue (派单目录) with categories, handlers,
deadlines and extra questions."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from wangge.accounts.models import Department
from wangge.cases import services
from wangge.cases.calendar import LIMIT_RE
from wangge.cases.models import CatalogueVersion, Category
from wangge.core.scenes import SceneError, SceneModel, register_section

STAGES = ("accept", "dispatch", "handle", "verify")


class AttributeIn(SceneModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    label_en: str = ""
    type: str = Field(default="text", pattern=r"^(text|number|date|single|multi)$")
    required: bool = False
    choices: list[str] = []


class CategoryIn(SceneModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_en: str = ""
    kind: str = Field(default="event", pattern=r"^(event|component|service)$")
    # "level:<grid level key>", "department:<department key>", or "" (the territorial grid: 属地兜底)
    handler: str = Field(default="", pattern=r"^((level|department):[a-z][a-z0-9_]*)?$")
    on_spot: bool = False
    visit_required: bool = False
    dispute_kind: str = Field(default="", pattern=r"^([a-z][a-z0-9_]*)?$")  # the mediation register's type
    deadlines: dict[str, str] = {}
    attributes: list[AttributeIn] = []
    children: list[CategoryIn] = []

    @field_validator("deadlines")
    @classmethod
    def _stages(cls, value: dict[str, str]) -> dict[str, str]:
        for stage, limit in value.items():
            if stage not in STAGES:
                raise ValueError(f"未知的环节 {stage}（可用：{'、'.join(STAGES)}）")
            if not LIMIT_RE.match(limit):
                raise ValueError(f"时限“{limit}”应写成 4h（工作小时）或 3d（工作日）")
        return value


class CatalogueIn(SceneModel):
    version: int = 1
    valid_from: date = date(2026, 1, 1)
    note: str = ""
    default_deadlines: dict[str, str] = {"accept": "4h", "dispatch": "4h", "handle": "5d", "verify": "2d"}
    categories: list[CategoryIn] = []


class CasesSection(SceneModel):
    catalogue: CatalogueIn = CatalogueIn()


def apply(section: CasesSection) -> None:
    c = section.catalogue
    version, _ = CatalogueVersion.objects.update_or_create(
        number=c.version, defaults={"valid_from": c.valid_from, "note": c.note}
    )
    departments = {d.key: d for d in Department.objects.all()}
    order = 0

    def write(item: CategoryIn, parent: Category | None) -> None:
        nonlocal order
        order += 1
        level, department = "", None
        if item.handler.startswith("department:"):
            key = item.handler.split(":", 1)[1]
            if key not in departments:
                raise SceneError(
                    [f"cases.catalogue：类别 {item.key} 的处置部门 {key} 不在 accounts.departments 中"]
                )
            department = departments[key]
        elif item.handler.startswith("level:"):
            level = item.handler.split(":", 1)[1]
        category, _ = Category.objects.update_or_create(
            version=version,
            key=item.key,
            defaults=dict(
                parent=parent,
                name=item.name,
                name_en=item.name_en,
                kind=item.kind,
                handler_level=level,
                handler_department=department,
                on_spot=item.on_spot,
                visit_required=item.visit_required,
                dispute_kind=item.dispute_kind,
                deadlines={**c.default_deadlines, **item.deadlines},
                attributes=[a.model_dump() for a in item.attributes],
                order=order,
            ),
        )
        for child in item.children:
            write(child, category)

    for item in c.categories:
        write(item, None)

    services.forget_caches()


def register() -> None:
    register_section("cases", CasesSection, apply, order=60)
