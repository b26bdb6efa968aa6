"""What is due: rules from the scene over the archive, kept in step as the archive changes, satisfied
by visits entered once."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.fieldwork import services
from wangge.fieldwork.models import Duty, Fulfilment, Visit, VisitRule
from wangge.registry import services as registry
from wangge.registry.models import SpecialGroup
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def rule_keys(household) -> set[str]:
    return set(Duty.objects.filter(household=household).values_list("rule__key", flat=True))


def visit(household, by, *, mode="in_person", at=None, n=[0], **kw):  # noqa: B006 (a counter)
    n[0] += 1
    return services.record_visit(
        services.VisitIn(household=household.pk, client_id=f"t-{n[0]}-{household.pk}", mode=mode,
                         visited_at=at, **kw),
        by=by,
    )  # fmt: skip


def test_the_scene_brings_xinan_and_shanghu_rules(town):
    rules = {r.key: r for r in VisitRule.objects.all()}
    assert rules["ordinary_yearly"].period_label == "每年"
    assert (rules["difficult_quarterly"].unit, rules["difficult_quarterly"].every) == ("quarter", 1)
    assert rules["elderly_monthly"].groups == ["elderly_alone"]
    assert rules["elderly_daily_contact"].kind == "contact"


def test_a_new_household_is_due_within_the_first_visit_days(town):
    hh, _people = household_with_people(town.units[0])
    duty = Duty.objects.get(household=hh, rule__key="ordinary_yearly")
    assert duty.due_on == timezone.localdate() + timedelta(days=30)
    assert rule_keys(hh) == {"ordinary_yearly"}


def test_joining_and_leaving_a_group_starts_and_stops_its_visits(town):
    hh, (head, spouse) = household_with_people(town.units[0])
    elderly = SpecialGroup.objects.get(key="elderly_alone")
    m = registry.add_membership(head, group=elderly)
    assert rule_keys(hh) == {"ordinary_yearly", "elderly_monthly", "elderly_daily_contact"}
    assert Duty.objects.get(household=hh, rule__key="elderly_daily_contact").due_on == timezone.localdate()
    # the spouse is in the group too: the household stays selected when the head leaves it
    registry.add_membership(spouse, group=elderly)
    registry.end_membership(m)
    assert "elderly_monthly" in rule_keys(hh)
    registry.set_status(spouse, status="deceased")
    assert rule_keys(hh) == {"ordinary_yearly"}


def test_hazards_start_a_monthly_check_until_fixed(town):
    hh, _people = household_with_people(town.units[0])
    hazard = registry.mark_hazard(hh.house, kind="gas")
    assert "hazard_monthly" in rule_keys(hh)
    registry.fix_hazard(hazard)
    assert "hazard_monthly" not in rule_keys(hh)


def test_an_in_person_visit_satisfies_every_rule_a_phone_call_only_contact(town):
    worker = grid_worker(town.units[0])
    hh, (head, _spouse) = household_with_people(town.units[0])
    registry.add_membership(head, group=SpecialGroup.objects.get(key="elderly_alone"))
    today = timezone.localdate()

    visit(hh, worker, mode="phone")
    duties = {d.rule.key: d for d in Duty.objects.filter(household=hh).select_related("rule")}
    assert duties["elderly_daily_contact"].last_done == today
    assert duties["elderly_daily_contact"].due_on == today + timedelta(days=1)
    assert duties["elderly_monthly"].last_done is None  # a call is not a visit

    visit(hh, worker, mode="in_person")
    duties = {d.rule.key: d for d in Duty.objects.filter(household=hh).select_related("rule")}
    assert duties["elderly_monthly"].due_on == services.add_period(today, 1, "month")
    assert duties["ordinary_yearly"].due_on == services.add_period(today, 1, "year")
    assert Fulfilment.objects.filter(household=hh).count() == 3  # contact, then monthly and yearly


def test_an_older_visit_entered_late_moves_nothing_back(town):
    worker = grid_worker(town.units[0])
    hh, _people = household_with_people(town.units[0])
    visit(hh, worker)
    due = Duty.objects.get(household=hh, rule__key="ordinary_yearly").due_on
    visit(hh, worker, at=timezone.now() - timedelta(days=3))
    assert Duty.objects.get(household=hh, rule__key="ordinary_yearly").due_on == due


def test_month_arithmetic_keeps_month_ends():
    assert services.add_period(date(2026, 1, 31), 1, "month") == date(2026, 2, 28)
    assert services.add_period(date(2024, 11, 30), 1, "quarter") == date(2025, 2, 28)
    assert services.add_period(date(2024, 2, 29), 1, "year") == date(2025, 2, 28)
    assert services.add_period(date(2026, 3, 2), 2, "week") == date(2026, 3, 16)


def test_a_rule_change_recomputes_every_due_day(town):
    worker = grid_worker(town.units[0])
    hh1, _ = household_with_people(town.units[0])
    hh2, _ = household_with_people(town.units[1])
    visit(hh1, worker)
    rule = VisitRule.objects.get(key="ordinary_yearly")
    rule.every, rule.unit, rule.first_within_days = 2, "week", 3
    rule.save()
    assert services.recompute(rule) == 2
    today = timezone.localdate()
    assert Duty.objects.get(household=hh1, rule=rule).due_on == today + timedelta(weeks=2)
    assert Duty.objects.get(household=hh2, rule=rule).due_on == today + timedelta(days=3)


def test_a_full_sync_catches_up_with_bulk_changes(town):
    hh, _ = household_with_people(town.units[0])
    Duty.objects.all().delete()  # as if the archive had been written around the signals
    assert services.sync() == {"created": 1, "dropped": 0}
    assert services.sync() == {"created": 0, "dropped": 0}


def test_moving_house_moves_the_duties_to_the_new_grid_worker(town):
    old, new = grid_worker(town.units[0]), grid_worker(town.units[7])
    hh, _ = household_with_people(town.units[0])
    assert services.duties_for(old).filter(household=hh).exists()
    registry.move_household(hh, house=registry.create_house(grid=town.units[7], address="新家路1号"))
    assert not services.duties_for(old).filter(household=hh).exists()
    assert services.duties_for(new).filter(household=hh).exists()


def test_round_tabs_sort_overdue_today_and_this_week(town):
    worker = grid_worker(town.units[0])
    today = timezone.localdate()
    late, _ = household_with_people(town.units[0], address="幸福路3号")
    due_today, _ = household_with_people(town.units[0], address="幸福路1号")
    later, _ = household_with_people(town.units[0], address="幸福路2号")
    Duty.objects.filter(household=late).update(due_on=today - timedelta(days=2))
    Duty.objects.filter(household=due_today).update(due_on=today)
    end = services.week_end(today)
    later_day = end if end > today else today + timedelta(days=1)  # on the week's last day: next week's
    Duty.objects.filter(household=later).update(due_on=later_day)
    ids = lambda tab: [s.household.pk for s in services.round_for(worker, tab)]  # noqa: E731
    assert ids("overdue") == [late.pk]
    assert ids("today") == [due_today.pk, late.pk]  # by address: 1号 before 3号
    week = set(ids("week"))
    assert {late.pk, due_today.pk} <= week and (later.pk in week) == (later_day <= end)
    assert services.round_for(grid_worker(town.units[7]), "week") == []


def test_campaigns_overlap_and_one_visit_counts_for_all(town):
    centre = staff("centre_staff", scope=town.root)
    worker = grid_worker(town.units[0])
    hh, (head, _s) = household_with_people(town.units[0])
    other, _ = household_with_people(town.units[7])
    registry.add_membership(head, group=SpecialGroup.objects.get(key="elderly_alone"))
    today = timezone.localdate()
    night = services.create_campaign(
        name="周一夜访", grid=town.root, start=today, end=today + timedelta(days=6), by=centre
    )
    typhoon = services.create_campaign(
        name="台风排查", grid=town.root, start=today, end=today, groups=["elderly_alone"],
        checklist=["门窗加固"], by=centre,
    )  # fmt: skip
    assert night.targets.count() == 2 and typhoon.targets.count() == 1
    stop = next(s for s in services.round_for(worker, "today") if s.household.pk == hh.pk)
    assert {c.name for c in stop.campaigns} == {"台风排查"}  # the night visits are due by the week's end
    assert "门窗加固" in services.checklist_for(hh)
    visit(hh, worker, answers={"门窗加固": "ok"})
    assert [r["visited"] for r in services.campaign_progress(typhoon, centre)] == [1]
    progress = {r["grid"].pk: (r["targets"], r["visited"]) for r in services.campaign_progress(night, centre)}
    assert progress == {town.seconds[0].pk: (1, 1), town.seconds[1].pk: (1, 0)}
    # still due this week for tomorrow's daily contact, but no campaign is owed there any more
    assert all(not s.campaigns for s in services.round_for(worker, "week") if s.household.pk == hh.pk)
    assert other.pk not in [s.household.pk for s in services.round_for(worker, "week")]


def test_coverage_counts_in_time_late_and_still_owed(town):
    leader = staff("leader", scope=town.root)
    worker = grid_worker(town.units[0])
    today = timezone.localdate()
    a, _ = household_with_people(town.units[0])
    b, _ = household_with_people(town.units[0])
    c, _ = household_with_people(town.units[0])
    Duty.objects.filter(household=a).update(due_on=today)  # visited today: in time
    Duty.objects.filter(household=b).update(due_on=today - timedelta(days=1))  # visited today: late
    Duty.objects.filter(household=c).update(due_on=today - timedelta(days=1))  # not visited: owed
    visit(a, worker)
    visit(b, worker)
    start = today - timedelta(days=1)
    rows = {r["grid"].pk: r for r in services.coverage(leader, town.root, start, today)}
    r = rows[town.seconds[0].pk]
    assert (r["due"], r["in_time"], r["late"], r["open_late"]) == (3, 1, 1, 1)
    assert r["share"] == pytest.approx(1 / 3)
    assert rows[town.seconds[1].pk]["share"] is None


def test_a_visit_cannot_be_in_the_future_or_for_another_grid(town):
    worker = grid_worker(town.units[0])
    hh, _ = household_with_people(town.units[0])
    theirs, _ = household_with_people(town.units[7])
    with pytest.raises(ValidationError) as e:
        visit(hh, worker, at=timezone.now() + timedelta(days=1))
    assert "不能晚于现在" in str(e.value)
    with pytest.raises(ValidationError) as e:
        visit(theirs, worker)
    assert "不在您的网格内" in str(e.value)
    with pytest.raises(ValidationError) as e:
        visit(hh, worker, answers={"不存在的事项": "ok"})
    assert "不在本户的清单中" in str(e.value)
    assert Visit.objects.count() == 0


def test_a_ledger_import_leaves_the_sync_to_the_background(town, django_capture_on_commit_callbacks):
    from wangge.registry import signals

    hh, _people = household_with_people(town.units[0])
    Duty.objects.all().delete()  # as if the import had written the household raw
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signals.tell([hh.pk], bulk=True)
        assert not Duty.objects.exists()  # the import does not wait for it
    assert len(callbacks) == 1
    assert rule_keys(hh) == {"ordinary_yearly"}  # the task ran (immediate backend in tests)


def test_a_round_too_long_for_one_page_is_a_table_of_grids_to_drill_into(client, town, monkeypatch):
    from django.urls import reverse

    from wangge.fieldwork import views

    worker = grid_worker(town.units[0])
    centre = staff("centre_staff", scope=town.root)
    for n in range(3):
        household_with_people(town.units[n % 2], address=f"幸福路{n + 10}号")
    Duty.objects.update(due_on=timezone.localdate())
    monkeypatch.setattr(views, "ROUND_ON_ONE_PAGE", 2)
    client.force_login(centre)
    page = client.get(reverse("fieldwork:round"), {"tab": "today"}).content.decode()
    assert 'id="due-by-grid"' in page and town.seconds[0].name in page and "幸福路10号" not in page
    one = client.get(
        reverse("fieldwork:round"), {"tab": "today", "grid": town.units[1].code}
    ).content.decode()
    assert "幸福路11号" in one and "幸福路10号" not in one  # one grid's households, on the round
    assert client.get(reverse("fieldwork:round"), {"grid": "000"}).status_code == 404
    client.force_login(worker)
    assert "本周已访 0" in client.get(reverse("fieldwork:round")).content.decode()
