"""The catalogue of case categories in force, and the attributes a category asks for."""

from __future__ import annotations

import logging
import time
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from wangge.cases import calendar
from wangge.cases.models import CatalogueVersion, Category
from wangge.core.errors import error, invalid

log = logging.getLogger(__name__)


def catalogue(on: date | None = None) -> CatalogueVersion | None:
    """The catalogue version in force on a date (the latest that started on or before it)."""
    on = on or timezone.localdate()
    return CatalogueVersion.objects.filter(valid_from__lte=on).order_by("-valid_from", "-number").first()


def categories(on: date | None = None) -> QuerySet[Category]:
    """The subclasses (小类) a report can pick, with their main class."""
    version = catalogue(on)
    qs = Category.objects.select_related("parent", "handler_department")
    if version is None:
        return qs.none()
    return qs.filter(version=version, parent__isnull=False)


# The catalogue changes a few times a year and takes effect from a date: each process keeps the day's
# subclasses for CATALOGUE_SECONDS instead of reading them on every report (the intake path).
CATALOGUE_SECONDS = 30.0


# Reports dated on a few different days (a hotline batch, the demo's four weeks) keep each day's.
CATALOGUE_DAYS = 40
_catalogue_cache: dict[str, tuple[float, dict[str, Category]]] = {}


def forget_caches() -> None:
    """Drop this process's catalogue and calendar (after a scene is applied; between tests)."""

    _catalogue_cache.clear()
    calendar.forget()


def category_by_key(key: str, on: date | None = None) -> Category:
    day = (on or timezone.localdate()).isoformat()
    cached = _catalogue_cache.get(day)
    if cached is None or time.monotonic() - cached[0] > CATALOGUE_SECONDS:
        cached = (time.monotonic(), {c.key: c for c in categories(on)})
        if len(_catalogue_cache) >= CATALOGUE_DAYS:
            _catalogue_cache.clear()
        _catalogue_cache[day] = cached
    found = cached[1].get(key)
    if found is None:
        raise invalid("category", _("未知的事件类别：%(key)s") % {"key": key}, "unknown")
    return found


def answers(case) -> list[tuple[str, str]]:
    """The case's answers to its category's questions as a person reads them: the question's label (in
    the page's language) and the value as typed (2, not 2.0; several choices joined); other attributes
    (a 12345 order's, written in Chinese) by their own name."""
    english = (get_language() or "").startswith("en")
    questions = {q["code"]: q for q in case.category.attributes}
    out = []
    for key, value in (case.attributes or {}).items():
        q = questions.get(key)
        label = ((q.get("label_en") if english else "") or q.get("label") or key) if q else key
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        out.append((label, "" if value is None else str(value)))
    return out


def clean_attributes(category: Category, raw: dict, *, require: bool = True) -> dict:
    """The category's extra questions answered: required ones present, numbers numbers, dates dates,
    choices among the choices. Unknown answers are dropped."""
    out: dict = {}
    errors: dict[str, ValidationError] = {}
    for q in category.attributes:
        code, label = q["code"], q["label"]
        value = raw.get(code)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if q.get("required") and require:
                errors[f"attribute[{code}]"] = error(_("请填写：%(label)s") % {"label": label}, "required")
            continue
        kind = q.get("type", "text")
        if kind == "number":
            try:
                value = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                errors[f"attribute[{code}]"] = error(_("%(label)s 应为数字") % {"label": label}, "invalid")
                continue
        elif kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[f"attribute[{code}]"] = error(
                    _("%(label)s 应为日期（如 2026-03-04）") % {"label": label}, "invalid"
                )
                continue
        elif kind == "single":
            if value not in q.get("choices", []):
                errors[f"attribute[{code}]"] = error(_("%(label)s 的选项无效") % {"label": label}, "unknown")
                continue
        elif kind == "multi":
            values = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
            if any(v not in q.get("choices", []) for v in values):
                errors[f"attribute[{code}]"] = error(_("%(label)s 的选项无效") % {"label": label}, "unknown")
                continue
            value = values
        else:
            value = str(value)[:500]
        out[code] = value
    if errors:
        raise ValidationError(errors)
    return out
