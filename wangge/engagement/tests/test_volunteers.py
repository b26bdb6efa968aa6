"""志愿服务: a team's activity takes sign-ups up to its capacity, a volunteer checks in at the place with the
activity's code within its time, and the organiser confirms the hours once, which grants the
volunteer_hour points (the hours count even when the month's points limit is reached)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from testkit import staff
from wangge.engagement import services
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(town):
    village = town.seconds[0]
    organiser = staff("community_staff", scope=village)
    team = services.create_team(village, name="邻里守望服务队", leader="周大姐")
    start = timezone.now() + timedelta(minutes=30)
    act = services.create_activity(
        team,
        title="敬老院义剪",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place="镇敬老院",
        capacity=2,
        by=organiser,
    )
    _h, people = household_with_people(town.units[0], names=("吴一", "吴二", "吴三"))
    return act, organiser, people


def test_sign_up_up_to_capacity_check_in_with_the_code_and_hours_confirmed_once(activity):
    act, organiser, (one, two, three) = activity
    first = services.sign_up(act, one)
    assert services.sign_up(act, one).pk == first.pk  # a second tap: the same place
    services.sign_up(act, two)
    with pytest.raises(ValidationError) as full:
        services.sign_up(act, three)
    assert "名额已满（2 人）" in str(full.value)
    services.cancel_sign_up(first)
    services.sign_up(act, three)  # the freed place
    with pytest.raises(ValidationError) as wrong:
        services.check_in(act, two, code="guess")
    assert "签到码不对" in str(wrong.value)
    with pytest.raises(ValidationError) as early:
        services.check_in(act, two, code=act.check_in_code, now=act.starts_at - timedelta(hours=2))
    assert "不在活动时间内" in str(early.value)
    place = services.check_in(act, two, code=act.check_in_code, now=act.starts_at + timedelta(minutes=5))
    assert place.checked_in_at is not None
    with pytest.raises(ValidationError) as longer:
        services.confirm_hours(place, 4, by=organiser)
    assert "不能超过活动时长 3.0 小时" in str(longer.value)
    done = services.confirm_hours(place, "2.5", by=organiser)
    assert (
        done.hours == Decimal("2.5")
        and done.points.amount == 25
        and done.points.source == f"activity:{act.pk}"
    )
    with pytest.raises(ValidationError) as twice:
        services.confirm_hours(place, 1, by=organiser)
    assert "已确认过" in str(twice.value)
    record = services.volunteer_record(two)
    assert (record.hours, record.activities, record.points) == (Decimal("2.5"), 1, 25)


def test_hours_count_when_the_months_points_limit_is_reached(activity, town):
    act, organiser, (one, _two, _three) = activity
    services.earn("volunteer_hour", by=organiser, person=one, quantity=30)  # the month's 300 points
    done = services.confirm_hours(services.sign_up(act, one), 2, by=organiser)
    assert done.hours == 2 and done.points is None
    assert services.volunteer_record(one).hours == 2
