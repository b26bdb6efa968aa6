"""一屏管全城: the leader's screen over a town, a community or a grid. Each module's part comes from its
services (the cases' live counts and the month's rates from their daily tallies, visits due and done,
disputes and reports, special groups and hazards), all within the viewer's jurisdiction; the command
module adds nothing of its own but the page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from wangge.cases import services as cases
from wangge.fieldwork import services as fieldwork
from wangge.grids import maps
from wangge.mediation import services as mediation
from wangge.registry import services as registry

SHOWN_RATES = ("on_time", "satisfaction", "response", "resolution", "acceptance", "rework")


@dataclass
class Screen:
    grid: object
    cases: cases.CasesOnScreen
    visits: fieldwork.WeekProgress
    disputes: mediation.MonthOnScreen
    groups: list[registry.OnScreen]
    hazards: registry.OnScreen

    @property
    def rates(self) -> list:
        """(figure, link to its cases) of the month's rates the screen shows."""
        by_key = {f.key: f for f in self.cases.month}
        return [(by_key[k], self.cases.month_links[k]) for k in SHOWN_RATES if k in by_key]

    @property
    def chart(self) -> dict:
        """What the page's charts draw (json_script): cases received per day, the special groups."""
        return {
            "days": [d for d, _n in self.cases.weekly],
            "received": [n for _d, n in self.cases.weekly],
            "groups": [g.label for g in self.groups],
            "group_counts": [g.n for g in self.groups],
        }


def screen(user, grid) -> Screen:
    groups, hazards = registry.screen_counts(user, grid)
    return Screen(
        grid=grid,
        cases=cases.screen_figures(user, grid),
        visits=fieldwork.week_progress(user, grid),
        disputes=mediation.month_on_screen(user, grid),
        groups=groups,
        hazards=hazards,
    )


def map_figures(user) -> list:
    """The figures the screen's map may be coloured by (registered by the modules)."""
    return maps.figures_for(user)


def map_url(grid) -> str:
    return reverse("grids:grid_geojson", args=[grid.code]) + "?depth=1"
