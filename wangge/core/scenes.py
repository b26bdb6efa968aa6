"""Scenes: a locality's way of working as a data file (scenes/NAME.yaml), validated and applied.

Each app registers the section it owns (`grids`, `accounts`, later `cases`, `fieldwork`...), so
the platform never needs to know the modules: a module adds its section from its AppConfig.ready().
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from wangge.core.models import SceneApplication

SCENES_DIR = Path(settings.BASE_DIR) / "scenes"


class SceneModel(BaseModel):
    """Base of every section schema: unknown keys are errors, so typos are caught on load."""

    model_config = ConfigDict(extra="forbid")


class SceneError(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


@dataclass
class Section:
    key: str
    schema: type[BaseModel]
    apply: Callable[[Any], None]
    order: int


_SECTIONS: dict[str, Section] = {}


def register_section(
    key: str, schema: type[BaseModel], apply: Callable[[Any], None], *, order: int = 50
) -> None:
    _SECTIONS[key] = Section(key, schema, apply, order)


def available_scenes() -> list[str]:
    return sorted(p.stem for p in SCENES_DIR.glob("*.yaml"))


def read_scene(name_or_path: str) -> dict[str, Any]:
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENES_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise SceneError(
            [
                _("找不到场景“%(name)s”，可用的场景：%(names)s")
                % {"name": name_or_path, "names": ", ".join(available_scenes())}
            ]
        )
    try:
        # libyaml's loader where PyYAML was built with it: a scene parses in a tenth of the time
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise SceneError([_("场景文件不是有效的 YAML：%(error)s") % {"error": exc}]) from exc
    if not isinstance(data, dict):
        raise SceneError([_("场景文件的顶层必须是键值表")])
    data.setdefault("name", path.stem)
    return data


def validate_scene(data: dict[str, Any]) -> dict[str, BaseModel]:
    """Check every section against its schema; all problems are reported at once, with their place."""
    errors: list[str] = []
    parsed: dict[str, BaseModel] = {}
    for key in data:
        if key in {"name", "title", "title_en", "description"}:
            continue
        if key not in _SECTIONS:
            errors.append(_("%(key)s：未知的场景段落") % {"key": key})
    for key, section in _SECTIONS.items():
        if key not in data:
            continue
        try:
            parsed[key] = section.schema.model_validate(data[key])
        except PydanticError as exc:
            for err in exc.errors():
                where = ".".join([key, *(str(p) for p in err["loc"])])
                errors.append(f"{where}：{_pydantic_message(dict(err))}")
    if errors:
        raise SceneError(errors)
    return parsed


@transaction.atomic
def applied_section(key: str, schema: type[BaseModel]) -> Any:
    """The applied scene's section `key`, parsed with its schema; None when the scene has none. Read each
    time (one query): scenes change rarely, and a cached copy would outlive a test's rollback."""
    app = SceneApplication.objects.first()
    data = (app.data if app else {}).get(key)
    return schema.model_validate(data) if data is not None else None


def apply_scene(name_or_path: str) -> SceneApplication:
    """Validate a scene file and write its sections; re-applying the same scene updates it in place."""
    data = read_scene(name_or_path)
    parsed = validate_scene(data)
    previous = SceneApplication.objects.first()
    if previous and previous.name != data["name"] and not _sections_empty():
        raise SceneError(
            [
                _("数据库已应用场景“%(old)s”且已有网格，不能再应用“%(new)s”")
                % {"old": previous.name, "new": data["name"]}
            ]
        )
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        if section.key in parsed:
            section.apply(parsed[section.key])
    # YAML reads 2026-01-01 as a date: keep the record as plain JSON
    plain = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return SceneApplication.objects.create(
        name=data["name"], title=data.get("title", data["name"]), data=plain
    )


_PYDANTIC_ZH = {
    "missing": "必填",
    "extra_forbidden": "未知的键（拼写错误？）",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对，应为小写英文字母、数字和下划线",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "string_type": "应为文字",
    "too_short": "至少需要 {min_length} 项",
}


def _pydantic_message(err: dict) -> str:
    template = _PYDANTIC_ZH.get(err["type"])
    if template is None:
        return str(err["msg"]).removeprefix("Value error, ")
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def current_scene() -> SceneApplication | None:
    return SceneApplication.objects.first()


def _sections_empty() -> bool:

    grid = apps.get_model("grids", "Grid")
    return not grid.objects.exists()
