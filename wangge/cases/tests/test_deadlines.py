from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from wangge.cases import calendar
from wangge.cases import services as cases
from wangge.cases.models import Case, CaseEvent, WorkCalendarDay
from wangge.cases.tests.helpers import Cast, report
from wangge.core import outbox
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_the_calendar_knows_holidays_and_make_up_workdays():
    calendar.seed_from_holidays([2026])
    work = calendar.WorkTime.around(at(2026, 2, 10))
    assert not work.is_workday(date(2026, 2, 17))  # Spring Festival, a Tuesday
    assert work.is_workday(date(2026, 2, 14))  # a Saturday made a workday (调休)
    assert work.is_workday(date(2026, 9, 20))  # Sunday before National Day
    assert not work.is_workday(date(2026, 10, 6))  # Tuesday inside National Day
    assert calendar.years_without_data([2026, 2031]) == [2031]


def test_working_days_skip_the_holiday_and_count_the_make_up_day():
    calendar.seed_from_holidays([2026])
    work = calendar.WorkTime.around(at(2026, 2, 12))
    # Thu 12 Feb + 2 working days: Fri 13, Sat 14 (make-up workday) -> 17:30 on the 14th
    assert work.add(at(2026, 2, 12, 10), "2d") == at(2026, 2, 14, 17, 30)
    # Sat 14 Feb + 1 working day: 15–23 Feb are off, the 24th is the next workday
    assert work.add(at(2026, 2, 14, 10), "1d") == at(2026, 2, 24, 17, 30)


def test_working_hours_follow_office_hours_over_lunch_and_the_night():
    calendar.seed_from_holidays([2026])
    work = calendar.WorkTime.around(at(2026, 3, 2))
    assert work.add(at(2026, 3, 2, 10), "1h") == at(2026, 3, 2, 11)  # Monday morning
    assert work.add(at(2026, 3, 2, 11, 30), "1h") == at(2026, 3, 2, 14, 30)  # across lunch
    assert work.add(at(2026, 3, 2, 17), "2h") == at(2026, 3, 3, 10)  # across the night
    assert work.add(at(2026, 3, 6, 17), "1h") == at(2026, 3, 9, 9)  # Friday evening -> Monday
    assert work.minutes_between(at(2026, 3, 2, 11, 30), at(2026, 3, 2, 14, 30)) == 60
    with pytest.raises(ValidationError):
        calendar.parse_limit("3 weeks")


def test_an_administrator_edit_survives_reseeding():
    WorkCalendarDay.objects.create(day=date(2026, 2, 17), is_workday=True, name="值班", source="admin")
    calendar.seed_from_holidays([2026])
    assert WorkCalendarDay.objects.get(day=date(2026, 2, 17)).is_workday is True


def test_the_sweep_warns_then_escalates_one_level_at_a_time_and_is_idempotent(town):
    cast = Cast(town)
    case = report(town.units[0])  # handled by the unit grid
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.worker)
    assert case.next_check_at < case.stage_due_at
    assert cases.sweep(case.next_check_at) == {"warned": 1, "escalated": 0}
    case.refresh_from_db()
    assert (
        case.warning
        and not case.overdue
        and cases.light(case, case.next_check_at - timedelta(seconds=1)) == "yellow"
    )
    assert cases.sweep(case.stage_due_at - timedelta(seconds=1)) == {
        "warned": 0,
        "escalated": 0,
    }  # nothing due
    late = case.stage_due_at + timedelta(minutes=1)
    assert cases.sweep(late) == {"warned": 0, "escalated": 1}
    assert cases.sweep(late) == {"warned": 0, "escalated": 0}  # the same moment again: nothing more
    case.refresh_from_db()
    assert case.overdue and case.escalated_to == town.thirds[0] and case.escalation_level == 1
    assert cases.light(case) == "red"
    event = case.events.get(action=CaseEvent.Action.OVERDUE)
    assert event.to_grid == town.thirds[0] and event.late
    # still overdue after another stage length: one more level up, then the town, then the leader
    for expected in (town.seconds[0], town.root, None):
        cases.sweep(case.next_check_at)
        case.refresh_from_db()
        if expected is not None:
            assert case.escalated_to == expected
    assert case.supervised and case.escalation_level == 4
    # the escalated-to unit hears of it: the centre holds a scope on the town (the third step up)
    assert OutboxMessage.objects.filter(key=f"case:{case.pk}:escalate:3", to_grid=town.root).exists()
    outbox.deliver()
    assert Message.objects.filter(user=cast.centre, title__startswith="超时事件升级").count() == 1


def test_the_sweep_reads_only_cases_whose_time_has_come(town, django_assert_max_num_queries):
    cast = Cast(town)
    for _ in range(5):
        c = report(town.units[0])
        cases.accept(c, by=cast.worker)
    first = Case.objects.order_by("next_check_at").first()
    # nothing due: one query, whatever the number of open cases
    with django_assert_max_num_queries(1):
        assert cases.sweep(first.next_check_at - timedelta(seconds=1)) == {"warned": 0, "escalated": 0}


def test_suspended_and_closed_cases_leave_the_sweep(town):
    cast = Cast(town)
    case = report(town.units[0])
    cases.accept(case, by=cast.worker)
    cases.suspend(case, by=cast.centre, comment="等待天晴")
    assert case.next_check_at is None
    assert cases.sweep(case.created + timedelta(days=30))["escalated"] == 0


def test_notifications_go_through_the_outbox_once(town):
    cast = Cast(town)
    case = report(town.units[0], reporter_phone="13800002222")
    keys = set(OutboxMessage.objects.values_list("key", flat=True))
    assert OutboxMessage.objects.get(key=f"case:{case.pk}:new").to_grid == town.units[0]  # the grid's people
    assert f"case:{case.pk}:receipt:sms" in keys  # the reporter, by SMS
    assert "13800002222" not in str(list(OutboxMessage.objects.values_list("phone", flat=True)))  # encrypted
    outbox.RecordingAdapter.sent.clear()
    assert outbox.deliver() == len(keys)
    assert outbox.deliver() == 0  # sent once
    assert Message.objects.filter(user=cast.worker, title__contains="新事件待处理").count() == 1
    assert [s["phone"] for s in outbox.RecordingAdapter.sent] == ["13800002222"]
    outbox.notify(f"case:{case.pk}:receipt:sms", channel="sms", phone="13800002222", title="again")
    assert OutboxMessage.objects.filter(key=f"case:{case.pk}:receipt:sms").count() == 1


def test_a_failing_channel_is_retried_and_keeps_the_reason(town, settings):
    settings.SMS_ADAPTER = "wangge.cases.tests.test_deadlines.BrokenSms"
    outbox.notify("k1", channel="sms", phone="13800003333", title="t")
    assert outbox.deliver() == 0
    row = OutboxMessage.objects.get(key="k1")
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "provider down"
    settings.SMS_ADAPTER = "wangge.core.outbox.RecordingAdapter"
    assert outbox.deliver() == 1


class BrokenSms:
    def send(self, **kw):
        raise RuntimeError("provider down")


def test_an_administrator_seeds_and_corrects_the_calendar_from_its_page(client, town):
    from django.urls import reverse

    from testkit import staff

    client.force_login(staff("admin"))
    url = reverse("cases:calendar")
    assert "缺少 2031、2032 年的数据" in client.get(url, {"year": 2031}).content.decode()
    client.post(url, {"year": 2026, "seed": "1"})
    assert WorkCalendarDay.objects.filter(day=date(2026, 2, 14), is_workday=True).exists()
    client.post(url, {"year": 2027, "day": "2027-02-06", "is_workday": "1", "name": "春节调休"})
    assert WorkCalendarDay.objects.get(day=date(2027, 2, 6)).source == "admin"
    client.force_login(Cast(town).centre)
    assert client.get(url).status_code == 403


def test_the_queue_warns_the_administrator_when_the_calendar_has_no_data_for_the_year(client, town):
    from django.urls import reverse

    from testkit import staff

    client.force_login(staff("admin"))
    assert "工作日历缺少" in client.get(reverse("cases:queue")).content.decode()
    this = date.today().year
    calendar.seed_from_holidays([this, this + 1])
    assert "工作日历缺少" not in client.get(reverse("cases:queue")).content.decode()


def test_the_calendar_page_corrects_a_day_as_its_select_says(client, town):
    from django.urls import reverse

    from testkit import staff
    from wangge.cases.models import WorkCalendarDay

    client.force_login(staff("admin"))
    url = reverse("cases:calendar")
    for is_workday, expected in (("0", False), ("1", True), ("0", False)):
        client.post(url, {"year": "2027", "day": "2027-02-06", "is_workday": is_workday, "name": "调休"})
        assert WorkCalendarDay.objects.get(day=date(2027, 2, 6)).is_workday is expected
    bad = client.post(url, {"year": "2027", "day": "2027-02-30"}, follow=True)
    assert "请填写日期" in bad.content.decode()
    client.post(url, {"year": "2027", "day": "2027-02-06", "delete": "1"})
    assert not WorkCalendarDay.objects.filter(day=date(2027, 2, 6)).exists()


def test_a_suspension_pauses_the_clock_and_resuming_continues_it_extension_and_all(town, monkeypatch):
    calendar.seed_from_holidays([2027])
    cast = Cast(town)
    clock = [at(2027, 3, 1, 9)]  # a Monday (after the test town's roles begin)
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    case = report(town.units[0], "street_lamp")
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    cases.request_extension(
        case, by=cast.housing, until=case.stage_due_at + timedelta(days=7), comment="等配件"
    )
    cases.decide_extension(case, by=cast.centre, approve=True)
    extended = case.stage_due_at
    clock[0] = at(2027, 3, 3, 9)  # Wednesday: the handler asks to pause, the centre agrees
    cases.request_suspension(case, by=cast.housing, comment="等待电力公司停电检修")
    cases.decide_request(case, by=cast.centre, approve=True)
    work = calendar.WorkTime.around(clock[0])
    left = work.minutes_between(clock[0], extended)
    assert case.paused_stage_minutes == left > 0
    clock[0] = at(2027, 3, 22, 9)  # three weeks later, resumed
    cases.resume(case, by=cast.housing)
    work = calendar.WorkTime.around(clock[0])
    assert work.minutes_between(clock[0], case.stage_due_at) == left  # the time that was left, no more
    assert case.due_at == case.stage_due_at > extended  # the approved extension kept, the pause added
    assert case.paused_stage_minutes is None


def test_the_calendar_through_the_api(client, town):
    calendar.seed_from_holidays([2027])
    cast = Cast(town)
    client.force_login(cast.worker)
    got = client.get("/api/cases/calendar", {"year": 2027}).json()
    assert got["year"] == 2027 and any(d["name"] for d in got["days"]) and 2027 not in got["missing_years"]
    body = {"is_workday": False, "name": "县庆"}
    url = "/api/cases/calendar/2027-06-08"
    assert client.put(url, body, content_type="application/json").status_code == 403
    from wangge.accounts.models import User

    client.force_login(User.objects.create(username="cal-admin", role="admin"))
    day = client.put(url, body, content_type="application/json").json()
    assert day == {"day": "2027-06-08", "is_workday": False, "name": "县庆", "source": "admin"}
    assert not calendar.WorkTime.around(at(2027, 6, 8)).is_workday(date(2027, 6, 8))
    assert client.delete(url).status_code == 204
    assert calendar.WorkTime.around(at(2027, 6, 8)).is_workday(date(2027, 6, 8))  # a Tuesday again
