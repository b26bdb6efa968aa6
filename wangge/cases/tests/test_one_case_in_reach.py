"""Looking up one case (its page, a permission check before an action) gives the same answer as the
case lists, whichever way the jurisdiction is put into SQL: a literal list of grid ids for a small one,
a join on the case's grid for a single case of a large one."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from testkit import staff
from wangge.accounts.models import Department
from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, report
from wangge.grids import jurisdiction

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("literal_ids", [64, 0], ids=["small jurisdiction", "large jurisdiction"])
def test_one_case_is_in_reach_exactly_when_the_lists_show_it(town, monkeypatch, literal_ids):
    monkeypatch.setattr(jurisdiction, "MAX_LITERAL_IDS", literal_ids)
    cast = Cast(town)
    made = [report(town.units[n], description=f"问题{n}") for n in (0, 7)]
    made.append(
        cases.report(
            cases.ReportIn(category="garbage_dumping", description="网格外", address="城外某处"), by=None
        )
    )
    cases.accept(made[1], by=cast.centre)
    cases.dispatch(made[1], by=cast.centre, to_department=Department.objects.get(key="housing"))
    part = staff("leader", scope=town.seconds[0])  # one part of the town, not unit 7's
    people = [cast.worker, cast.other_worker, cast.centre, cast.housing, cast.police, part]
    answers = []
    for user in people:
        listed = set(cases.visible_cases(user).values_list("pk", flat=True))
        for case in made:
            one = cases.visible_cases(user, one=True).filter(pk=case.pk).exists()
            assert one == (case.pk in listed), (user, case)
            answers.append(one)
            if case.pk in listed:
                assert cases.get_case_or_404(user, case.code) == case
            else:
                with pytest.raises(Http404):
                    cases.get_case_or_404(user, case.code)
                with pytest.raises(PermissionDenied):  # an action's check on the case
                    cases.site_visit(case, by=user, comment="看看")
    assert 6 <= answers.count(True) <= 12  # some in reach, some not: each branch above was taken
    assert not cases.visible_cases(part, one=True).filter(pk=made[1].pk).exists()
    assert cases.visible_cases(cast.housing, one=True).filter(pk=made[1].pk).exists()


@pytest.mark.parametrize("literal_ids", [64, 0], ids=["small jurisdiction", "large jurisdiction"])
def test_the_cases_within_a_grid_are_the_lists_cases_of_its_subtree(town, monkeypatch, literal_ids):
    monkeypatch.setattr(jurisdiction, "MAX_LITERAL_IDS", literal_ids)
    cast = Cast(town)
    for n in (0, 3, 7):
        report(town.units[n], description=f"问题{n}")
    part = staff("leader", scope=town.seconds[0])
    for user in (cast.centre, part, cast.worker, cast.housing):
        listed = set(cases.visible_cases(user).values_list("pk", flat=True))
        for grid in (town.root, *town.seconds, town.units[0], town.units[7]):
            subtree = set(Case.objects.filter(grid__path__startswith=grid.path).values_list("pk", flat=True))
            within = set(cases.visible_cases(user, within=grid).values_list("pk", flat=True))
            if jurisdiction.can_see_grid(user, grid):
                assert within == subtree and within <= listed, (user, grid)
            else:
                assert within == set(), (user, grid)  # another's grid: nothing, not its cases
    assert cases.visible_cases(cast.worker, within=town.units[0]).exists()
    assert not cases.visible_cases(cast.worker, within=town.units[7]).exists()


def test_a_root_beside_another_root_holds_only_its_own_cases(town):
    from testkit import ORIGIN, START, square
    from wangge.grids import services as grids
    from wangge.grids.models import GridLevel

    cast = Cast(town)
    mine = report(town.units[0], description="本镇")
    only = set(cases.visible_cases(cast.centre, within=town.root).values_list("pk", flat=True))
    assert mine.pk in only  # the only root: every case placed in a grid
    next_town = grids.create_grid(
        name="邻镇",
        level=GridLevel.objects.get(depth=1),
        code="990000009",
        boundary=square(ORIGIN[0] + 0.1, ORIGIN[1], 0.04),
        valid_from=START,
    )
    theirs = report(town.units[1], description="邻镇")
    Case.objects.filter(pk=theirs.pk).update(grid=next_town)  # as if it had come in there
    admin = staff("admin")
    within = set(cases.visible_cases(admin, within=town.root).values_list("pk", flat=True))
    assert mine.pk in within and theirs.pk not in within
    assert theirs.pk in set(cases.visible_cases(admin, within=next_town).values_list("pk", flat=True))
