"""The loop on the leader's screen (一屏管全城): what stands open now, counted from the cases (partial
indexes of the open, the late and the supervised); the month's rates and the hot topics, summed from the
daily tallies (`tallies.py`, the definitions of `figures.py`); the repeated calls still open, by group.
Every number comes with the link to its cases."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from wangge.cases import figures as fig
from wangge.cases import tallies
from wangge.cases.filters import TABS
from wangge.cases.models import Case, Category
from wangge.cases.services.access import figure_cases
from wangge.cases.services.states import OPEN_NOW

S = Case.Status
STAGES = ("reported", "accepted", "dispatched", "handled", "suspended")
RISING = 1.5  # a category this week at 1.5 times its weekly average of the four weeks before
RISING_AT_LEAST = 3  # and with at least this many cases: one case against none is no trend


@dataclass
class Count_:
    key: str
    label: str
    n: int
    link: str
    tone: str = ""


@dataclass
class HotTopic:
    category: str
    this_week: int
    weekly_average: float
    link: str

    @property
    def rise(self) -> float | None:
        return self.this_week / self.weekly_average - 1 if self.weekly_average else None


@dataclass
class RepeatCluster:
    code: str
    category: str
    address: str
    calls: int
    link: str


@dataclass
class CasesOnScreen:
    today: int
    today_link: str
    stages: list[Count_] = field(default_factory=list)
    alerts: list[Count_] = field(default_factory=list)  # overdue, escalated, supervised
    month: list[fig.Figure] = field(default_factory=list)
    month_links: dict[str, str] = field(default_factory=dict)
    hotline_score: float | None = None
    hot_topics: list[HotTopic] = field(default_factory=list)
    repeats: list[RepeatCluster] = field(default_factory=list)
    weekly: list[tuple[str, int]] = field(default_factory=list)  # cases received per day, 4 weeks


def _queue(grid, **params) -> str:
    return f"{reverse('cases:queue')}?{urlencode({**params, 'grid': grid.code})}"


def screen_figures(user, grid, *, on: date | None = None) -> CasesOnScreen:
    """The cases of a grid's subtree as the screen shows them, in the user's jurisdiction (the grid is
    looked up as theirs before: `figure_cases` 404s another's)."""
    on = on or timezone.localdate()
    cases, _unit = figure_cases(user, grid.code)
    # today's reports from today's tallies (recounted every minute, as the page refreshes): counting them
    # among a million cases, SQLite's planner walked the grid's cases instead of the day's (2.3 s)
    received = {f.key: f for f in tallies.summed(grid, fig.Period(on, on))}["acceptance"]
    screen = CasesOnScreen(today=received.den, today_link=_queue(grid, tab="all", since=on.isoformat()))
    tabs = {k: (label, q) for k, label, q in TABS}
    open_now = cases.filter(OPEN_NOW)
    # the open cases read once, by stage with their flags (a city holds 300,000: each pass over them costs)
    by_status = {
        r["status"]: r
        for r in open_now.values("status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(overdue=True)),
            escalated=Count("pk", filter=Q(escalation_level__gt=0)),
            supervised=Count("pk", filter=Q(supervised=True)),
        )
        .order_by()
    }
    screen.stages = [
        Count_(k, str(tabs[k][0]), by_status[k]["n"] if k in by_status else 0, _queue(grid, tab=k))
        for k in STAGES
    ]
    flags = {f: sum(r[f] for r in by_status.values()) for f in ("overdue", "escalated", "supervised")}
    screen.alerts = [
        Count_("overdue", str(tabs["overdue"][0]), flags["overdue"], _queue(grid, tab="overdue"), "bad"),
        Count_("escalated", "已升级", flags["escalated"], _queue(grid, tab="escalated"), "warn"),
        Count_("supervised", str(tabs["supervised"][0]), flags["supervised"], _queue(grid, tab="supervised"),
               "warn"),
    ]  # fmt: skip
    month = fig.Period(on.replace(day=1), on)
    screen.month = tallies.summed(grid, month)
    screen.hotline_score = fig.hotline_score(screen.month)
    scope = {"grid": grid.code, "from": month.start.isoformat(), "to": month.end.isoformat()}
    screen.month_links = {
        f.key: f"{reverse('cases:figure_cases', args=[f.key, 'den'])}?{urlencode(scope)}"
        for f in screen.month
    }
    screen.hot_topics, screen.weekly = _hot_topics(grid, on)
    screen.repeats = _repeats(open_now)
    return screen


def _hot_topics(grid, on: date) -> tuple[list[HotTopic], list[tuple[str, int]]]:
    """Categories rising this week (the last 7 days) against their weekly average of the 4 weeks before;
    and the cases received each day of those 5 weeks."""
    first = on - timedelta(days=34)
    week_start = on - timedelta(days=6)
    this_week: dict[int, int] = defaultdict(int)
    before: dict[int, int] = defaultdict(int)
    per_day: dict[date, int] = defaultdict(int)
    for r in tallies.received_by_category_day(grid, first, on):
        (this_week if r["day"] >= week_start else before)[r["category_id"]] += r["n"]
        per_day[r["day"]] += r["n"]
    names = dict(Category.objects.filter(pk__in=list(this_week)).values_list("pk", "name"))
    keys = dict(Category.objects.filter(pk__in=list(this_week)).values_list("pk", "key"))
    topics = []
    for category_id, n in this_week.items():
        average = before.get(category_id, 0) / 4
        if n >= RISING_AT_LEAST and n >= RISING * average:
            link = _queue(grid, tab="all", category=keys[category_id], since=week_start.isoformat())
            topics.append(HotTopic(names[category_id], n, average, link))
    topics.sort(key=lambda t: (-(t.this_week - t.weekly_average), t.category))
    days = [first + timedelta(days=n) for n in range(35)]
    return topics[:8], [(d.strftime("%m-%d"), per_day.get(d, 0)) for d in days]


def _repeats(open_now) -> list[RepeatCluster]:
    """Open repeated calls grouped under their first order, largest groups first."""
    groups = (
        open_now.filter(repeat_of__isnull=False)
        .values("repeat_of")
        .annotate(n=Count("pk"))
        .order_by("-n", "repeat_of")[:5]
    )
    counts = {g["repeat_of"]: g["n"] for g in groups}
    firsts = Case.objects.filter(pk__in=list(counts)).select_related("category")
    found = [
        RepeatCluster(c.code, c.category.name, c.address, counts[c.pk] + 1, c.get_absolute_url())
        for c in firsts
    ]
    return sorted(found, key=lambda g: -g.calls)


def worker_record(worker) -> int:
    """Cases this person handled (a handling step of theirs), ever: a line of their record, not a score."""
    from wangge.cases.models import CaseEvent

    return (
        CaseEvent.objects.filter(actor=worker, action=CaseEvent.Action.HANDLE)
        .values("case")
        .distinct()
        .count()
    )


def outcome_figures(grid, period: fig.Period) -> dict[str, fig.Figure]:
    """The month's figures of a grid's subtree from the daily tallies, by key (for the assessment)."""
    return {f.key: f for f in tallies.summed(grid, period)}
