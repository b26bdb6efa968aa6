"""One parser for the dates and times that forms, query strings and APIs send: empty is None, anything that
is not a real date or time is a Chinese ValidationError naming the field (never a 500: Django's own
parse_datetime raises ValueError for "2026-13-45T99:00")."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateparse, timezone
from django.utils.translation import gettext as _

from wangge.core.errors import invalid


def parse_datetime(raw: str | None, *, field: str) -> datetime | None:
    """ISO 8601 with or without a zone (without one: the site's time, Asia/Shanghai)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = dateparse.parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        message = _("时间格式应为 YYYY-MM-DDTHH:MM，且须是真实的日期和时间")
        raise invalid(field, message, "invalid")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def parse_date(raw: str | None, *, field: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = dateparse.parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise invalid(field, _("日期格式应为 YYYY-MM-DD，且须是真实的日期"), "invalid")
    return day


def month_or_this(raw: str | None) -> date:
    """The first day of a month given as YYYY-MM (a page's ?month=), or of this month when it is not one."""
    try:
        return datetime.strptime(raw or "", "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after `month`."""
    first = month.replace(day=1)
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
