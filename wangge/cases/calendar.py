"""Working time: which days are workdays (China's holidays and make-up workdays, 调休) and office hours.

Deadlines of the catalogue are written "4h" (working hours, on office hours) or "3d" (working days: the
end of office hours on the 3rd workday after the day the stage began). Times are aware datetimes; the
office day is in TIME_ZONE (Asia/Shanghai).
"""

from __future__ import annotations

import re
import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from wangge.cases.models import WorkCalendarDay
from wangge.core.errors import error

CALENDAR_SECONDS = 60.0
_cache: dict = {"at": None, "days": {}}


def forget() -> None:
    """Read the calendar again on next use (after an edit; between tests)."""
    _cache["at"] = None


LIMIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")


def parse_limit(text: str) -> tuple[float, str]:
    m = LIMIT_RE.match(text or "")
    if not m:
        raise error(f"时限“{text}”格式不对：应写成 4h（工作小时）或 3d（工作日）", "invalid")
    return float(m.group(1)), m.group(2)


def office_hours() -> list[tuple[time, time]]:
    """The office periods of a workday, from settings.OFFICE_HOURS ("08:30-12:00,14:00-17:30")."""
    periods = []
    for part in settings.OFFICE_HOURS.split(","):
        start, end = (time.fromisoformat(x.strip()) for x in part.split("-"))
        periods.append((start, end))
    return periods


def seed_from_holidays(years) -> int:
    """Write the days that differ from the plain week for these years, from the `holidays` package;
    days an administrator edited are left alone. Returns how many rows were written."""

    edited = set(WorkCalendarDay.objects.filter(source="admin").values_list("day", flat=True))
    written = 0
    for year in years:
        cn = holidays.China(years=year, language="zh_CN")
        rows = {d: (False, name) for d, name in cn.items() if d.weekday() < 5}
        for d in getattr(cn, "weekend_workdays", set()):
            if d.year == year:
                rows[d] = (True, "调休上班")
        for d, (work, name) in rows.items():
            if d in edited:
                continue
            WorkCalendarDay.objects.update_or_create(
                day=d, defaults={"is_workday": work, "name": name[:64], "source": "holidays"}
            )
            written += 1
    forget()
    return written


def set_day(day: date, *, is_workday: bool, name: str = "") -> WorkCalendarDay:
    """An administrator's word on one day (a local holiday, a make-up workday): kept when reseeding."""
    forget()
    row, _new = WorkCalendarDay.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "name": name.strip()[:64], "source": "admin"}
    )
    return row


def clear_day(day: date) -> None:
    """Back to an ordinary day (Monday to Friday work, the weekend off)."""
    WorkCalendarDay.objects.filter(day=day).delete()
    forget()


def years_without_data(years) -> list[int]:
    """Years the calendar knows nothing about (deadlines then count plain weekends: warn the admin)."""

    known = {
        d.year
        for d in WorkCalendarDay.objects.filter(day__year__in=list(years)).values_list("day", flat=True)
    }
    return [y for y in years if y not in known]


@dataclass
class WorkTime:
    """Working-time arithmetic over a loaded set of exception days (one query per computation)."""

    exceptions: dict[date, bool]
    periods: list[tuple[time, time]]
    zone: ZoneInfo

    @classmethod
    def around(cls, moment: datetime | None = None) -> WorkTime:
        """The calendar as this process knows it: every exception day (a few hundred rows), read at most
        every CALENDAR_SECONDS; an edit in this process is seen at once, in others within that time."""
        now = time_module.monotonic()
        if _cache["at"] is None or now - _cache["at"] > CALENDAR_SECONDS:
            _cache["days"] = dict(WorkCalendarDay.objects.values_list("day", "is_workday"))
            _cache["at"] = now
        return cls(_cache["days"], office_hours(), ZoneInfo(settings.TIME_ZONE))

    def is_workday(self, d: date) -> bool:
        if d in self.exceptions:
            return self.exceptions[d]
        return d.weekday() < 5

    def next_workday(self, d: date) -> date:
        d += timedelta(days=1)
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def _at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.zone)

    def add(self, start: datetime, limit: str) -> datetime:
        amount, unit = parse_limit(limit)
        if unit == "d":
            d = start.astimezone(self.zone).date()
            for _ in range(max(1, round(amount))):
                d = self.next_workday(d)
            return self._at(d, self.periods[-1][1])
        return self.add_minutes(start, amount * 60)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of office time after start."""
        local = start.astimezone(self.zone)
        d = local.date()
        left = timedelta(minutes=minutes)
        for _ in range(3660):  # ten years of days: the loop ends long before
            if self.is_workday(d):
                for begin, end in self.periods:
                    a = max(self._at(d, begin), local)
                    b = self._at(d, end)
                    if a >= b:
                        continue
                    if b - a >= left:
                        return a + left
                    left -= b - a
            d += timedelta(days=1)
            local = self._at(d, time(0, 0))
        raise ValueError("working time beyond ten years")

    def minutes_between(self, a: datetime, b: datetime) -> float:
        """Office minutes from a to b (0 when b is not after a)."""
        if b <= a:
            return 0.0
        a, b = a.astimezone(self.zone), b.astimezone(self.zone)
        total = timedelta()
        d = a.date()
        while d <= b.date():
            if self.is_workday(d):
                for begin, end in self.periods:
                    lo = max(self._at(d, begin), a)
                    hi = min(self._at(d, end), b)
                    if hi > lo:
                        total += hi - lo
            d += timedelta(days=1)
        return total.total_seconds() / 60


def deadline(start: datetime | None, limit: str) -> datetime:
    start = start or timezone.now()
    return WorkTime.around(start).add(start, limit)
