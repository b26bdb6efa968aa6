"""Text that people type may hold any character but these: control characters other than tab and line
breaks, and unpaired surrogates (a JSON "\\ud800" decodes to one). PostgreSQL refuses NUL and cannot encode a
lone surrogate (a 500), SQLite stores them, and no page can show them. Refused with a Chinese message at
the API's door (naming the field) and, for every other path, before any model row is saved."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext as _

from wangge.core.errors import invalid

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def is_clean(value: str) -> bool:
    return _BAD.search(value) is None


def message() -> str:
    return _("含有不可见的控制字符或无效字符，请删除后重试")


def first_unclean(data, path: str = "") -> str | None:
    """The path (a.b.0) of the first string in parsed JSON or a query that is not clean, else None."""
    if isinstance(data, str):
        return None if is_clean(data) else (path or "__all__")
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and not is_clean(key):
            return where
        if (found := first_unclean(value, where)) is not None:
            return found
    return None


def refuse_unclean_rows(sender, instance, raw=False, **kwargs) -> None:
    """pre_save: no text column of any row keeps such characters, whichever path wrote it."""
    if raw:
        return
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and not is_clean(value):
                raise invalid(field.name, message(), "invalid")
