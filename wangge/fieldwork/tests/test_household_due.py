"""Each household's next visit, kept beside its duties: whatever moves a duty (a visit, a call, a group
joined or left, a hazard fixed, a rule's period changed, a full sync, a move) leaves the rows that counting
the duties gives, and the leader's screen counts this week's due households from them as from the duties,
within the viewer's reach."""

from datetime import timedelta

import pytest
from django.db.models import Count, Min
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.fieldwork import due as household_due
from wangge.fieldwork import services
from wangge.fieldwork.models import Duty, HouseholdDue, VisitRule
from wangge.grids import services as grids
from wangge.registry import services as registry
from wangge.registry.models import SpecialGroup
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def from_duties() -> dict[int, object]:
    """The next visit of every household, counted from its duties under active rules."""
    return dict(
        Duty.objects.filter(rule__active=True)
        .values("household_id")
        .annotate(first=Min("due_on"))
        .values_list("household_id", "first")
    )


def kept() -> dict[int, object]:
    return dict(HouseholdDue.objects.values_list("household_id", "first_due"))


def due_by_duties(grid) -> int:
    """This week's due households of a grid's subtree as the screen counted them before: from the duties."""
    end = services.week_end(timezone.localdate())
    return Duty.objects.filter(
        grids.subtree_q(grid.path, prefix="household__grid__"), rule__active=True, due_on__lte=end
    ).aggregate(n=Count("household", distinct=True))["n"]


def visit(household, by, *, mode="in_person", n=[0]):  # noqa: B006 (a counter)
    n[0] += 1
    return services.record_visit(
        services.VisitIn(household=household.pk, client_id=f"due-{n[0]}-{household.pk}", mode=mode), by=by
    )


def test_every_change_to_the_duties_leaves_the_rows_the_duties_give(town):
    worker = grid_worker(town.units[0])
    elderly = SpecialGroup.objects.get(key="elderly_alone")
    hh1, (head1, _s1) = household_with_people(town.units[0])
    hh2, (head2, _s2) = household_with_people(town.units[0])
    hh3, _people3 = household_with_people(town.units[1])
    assert kept() == from_duties() and hh1.pk in kept()  # new households: synced by the archive's signal

    membership = registry.add_membership(head1, group=elderly)  # a daily call, due today
    assert kept()[hh1.pk] == timezone.localdate()
    visit(hh1, worker, mode="phone")  # the call moves it to tomorrow
    assert kept()[hh1.pk] == timezone.localdate() + timedelta(days=1)
    visit(hh2, worker)  # a visit moves the yearly duty a year on
    hazard = registry.mark_hazard(hh3.house, kind="gas")
    registry.fix_hazard(hazard)
    registry.end_membership(membership)
    assert kept() == from_duties()

    rule = VisitRule.objects.get(key="ordinary_yearly")
    rule.every, rule.unit, rule.first_within_days = 2, "week", 3
    rule.save()
    services.recompute(rule)
    assert kept() == from_duties()
    assert kept()[hh3.pk] == timezone.localdate() + timedelta(days=3)

    registry.move_household(hh2, house=registry.create_house(grid=town.units[7], address="新家路2号"))
    Duty.objects.filter(household=hh3).delete()  # written around the signals: the full sync catches up
    services.sync()
    assert kept() == from_duties()
    assert hh3.pk in kept()

    rule.active = False  # a rule switched off: its households' next visit is under the other rules
    rule.save()
    services.sync()
    assert kept() == from_duties()

    rows = kept()
    assert household_due.rebuild() == len(rows)
    assert kept() == rows


def test_the_screen_counts_this_weeks_due_households_as_the_duties_do(town):
    worker = grid_worker(town.units[0])
    for unit in (town.units[0], town.units[0], town.units[3], town.units[7]):
        household_with_people(unit)
    hh, (head, _spouse) = household_with_people(town.units[0])
    registry.add_membership(head, group=SpecialGroup.objects.get(key="elderly_alone"))  # due today
    near = household_with_people(town.units[3])[0]
    Duty.objects.filter(household=near).update(due_on=timezone.localdate() - timedelta(days=3))  # late
    household_due.refresh([near.pk])
    leader = staff("leader", scope=town.root)
    for grid in (town.root, town.seconds[0], town.thirds[0], town.units[0], town.units[3], town.units[7]):
        assert services.week_progress(leader, grid).due == due_by_duties(grid), grid.code
    assert services.week_progress(leader, town.root).due >= 2  # the call today and the late one

    visit(hh, worker, mode="phone")  # tomorrow's call may still fall in this week: counted as the duties do
    assert services.week_progress(leader, town.root).due == due_by_duties(town.root)
    assert services.week_progress(leader, town.root).done == 1  # households visited or called
    visit(hh, worker)
    assert services.week_progress(leader, town.units[0]).done == 1  # the same household once
    assert services.week_progress(leader, town.units[3]).done == 0


def test_another_grids_households_are_not_counted_for_a_worker(town):
    worker = grid_worker(town.units[0])
    other = household_with_people(town.units[3])[0]
    Duty.objects.filter(household=other).update(due_on=timezone.localdate() - timedelta(days=1))
    household_due.refresh([other.pk])
    visit(other, grid_worker(town.units[3]))
    mine = services.week_progress(worker, town.units[0])
    assert (mine.due, mine.done) == (due_by_duties(town.units[0]), 0)
    theirs = services.week_progress(worker, town.units[3])
    assert (theirs.due, theirs.done) == (0, 0)
    assert services.week_progress(worker, town.root).due == 0  # the town is above the worker's reach
