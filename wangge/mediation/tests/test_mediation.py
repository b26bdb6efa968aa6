"""Disputes are recorded once, mediated up the levels and closed; each community files its monthly report
(or a zero report) and the centre sees who is late."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.core.excel import read_rows
from wangge.core.models import OutboxMessage
from wangge.mediation import services
from wangge.mediation.models import Dispute, MonthlyReport

pytestmark = pytest.mark.django_db


def dispute(grid, by, **kw):
    data = {
        "grid": grid.pk,
        "kind": "neighbour",
        "summary": "楼上漏水，邻里争执",
        "parties": ["王某", "李某"],
        **kw,
    }
    return services.record(services.DisputeIn(**data), by=by)


def last_month() -> date:
    return services.month_start(services.month_start(services.today()) - timedelta(days=1))


def test_a_dispute_is_recorded_once_and_bad_input_says_where(town):
    worker = grid_worker(town.units[0])
    d = dispute(town.units[0], worker, client_id="c1")
    assert dispute(town.units[0], worker, client_id="c1") == d and Dispute.objects.count() == 1
    assert d.level == "unit" and d.level_due == d.found_on + timedelta(days=3)
    with pytest.raises(ValidationError) as e:
        dispute(town.units[7], worker, kind="nope", summary="", parties=[" "], found_on=date(2999, 1, 1))
    errors = e.value.message_dict
    assert set(errors) == {"grid", "kind", "summary", "parties", "found_on"}
    assert Dispute.objects.count() == 1


def test_mediation_goes_up_the_levels_and_closes_with_a_result(town):
    worker = grid_worker(town.units[0])
    d = dispute(town.units[0], worker)
    with pytest.raises(ValidationError):
        services.close(d, by=worker, status="agreed", outcome="和解")  # no session yet
    services.add_session(d, by=worker, notes="双方到场，各执一词")
    d = services.escalate(d, by=worker, reason="楼栋长调解不成")
    assert d.level == "community" and d.level_due == services.today() + timedelta(days=15)
    with pytest.raises(ValidationError) as e:
        services.close(d, by=worker, status="failed", outcome="未达成")
    assert "引导至何处" in str(e.value)
    with pytest.raises(ValidationError) as e:
        services.close(d, by=worker, status="agreed", outcome="和解")
    assert "协议内容" in str(e.value)
    d = services.close(d, by=worker, status="agreed", outcome="和解", agreement="楼上修好防水，赔偿 500 元")
    assert d.closed and d.sessions.count() == 2
    assert d.follow_up_due == services.today() + timedelta(days=30)
    with pytest.raises(ValidationError):
        services.add_session(d, by=worker, notes="再谈")


def test_monthly_figures_are_computed_with_their_formulas(town):
    worker = staff("community_staff", scope=town.seconds[0])
    month = last_month()
    a = dispute(town.units[0], worker, found_on=month)
    b = dispute(town.units[1], worker, found_on=month + timedelta(days=3))
    dispute(town.units[0], worker, found_on=month + timedelta(days=5))  # still open
    for d, status in ((a, "agreed"), (b, "failed")):
        services.add_session(d, by=worker, notes="调解", held_on=d.found_on)
        services.close(
            d,
            by=worker,
            status=status,
            outcome="结果",
            referred_to="法院",
            agreement="约定",
            on=month + timedelta(days=10),
        )
    f = services.figures(town.seconds[0], month)
    assert (f["found"], f["mediated"], f["agreed"], f["failed"], f["outstanding"]) == (3, 2, 1, 1, 1)
    assert f["success_rate"] == 0.5
    assert services.figures(town.seconds[1], month)["found"] == 0


def test_zero_reports_late_reports_and_who_has_not_filed(town):
    worker = grid_worker(town.units[0])
    community = staff("community_staff", scope=town.seconds[0])
    other = staff("community_staff", scope=town.seconds[1])
    centre = staff("centre_staff", scope=town.root)
    month = last_month()
    dispute(town.units[0], worker, found_on=month)
    with pytest.raises(ValidationError) as e:
        services.file_report(town.seconds[0], month, by=community, zero=True)
    assert "不能报零报告" in str(e.value)
    with pytest.raises(PermissionDenied):
        services.file_report(town.seconds[0], month, by=other)
    states = {f.grid.pk: f.state for f in services.filings(centre, month)}
    assert states == {town.seconds[0].pk: "overdue", town.seconds[1].pk: "overdue"}  # last month's day passed
    r = services.file_report(town.seconds[0], month, by=community)
    assert r.late and not r.zero and r.figures["found"] == 1
    z = services.file_report(town.seconds[1], month, by=other, zero=True)
    assert z.zero and z.figures["found"] == 0
    with pytest.raises(ValidationError):
        services.file_report(town.seconds[1], month, by=other, zero=True)
    assert {f.state for f in services.filings(centre, month)} == {"late"}


def test_the_screen_counts_and_names_the_communities_yet_to_file(town, monkeypatch):
    centre = staff("centre_staff", scope=town.root)
    community = staff("community_staff", scope=town.seconds[0])
    month = last_month()
    got = services.month_on_screen(centre, town.root)
    assert (got.reports_missing, got.reports_missing_count) == ([g.name for g in town.seconds], 2)
    monkeypatch.setattr(services, "MISSING_NAMED", 1)  # a city's 2,000: the first named, all counted
    got = services.month_on_screen(centre, town.root)
    assert (got.reports_missing, got.reports_missing_count) == ([town.seconds[0].name], 2)
    services.file_report(town.seconds[0], month, by=community, zero=True)
    got = services.month_on_screen(centre, town.root)
    assert (got.reports_missing, got.reports_missing_count) == ([town.seconds[1].name], 1)
    assert services.month_on_screen(centre, town.seconds[0]).reports_missing_count == 0  # the subtree only


def test_the_day_is_the_25th_and_short_months_keep_their_last_day(settings):
    assert services.due_day(date(2026, 11, 1)) == date(2026, 11, 25)
    settings.MEDIATION_REPORT_DAY = 31
    assert services.due_day(date(2026, 2, 1)) == date(2026, 2, 28)


def test_reminders_before_the_day_and_after_it(town):
    community = staff("community_staff", scope=town.seconds[0])
    month = services.month_start(services.today())
    due = services.due_day(month)
    assert services.remind(due - timedelta(days=10)) == 0
    assert services.remind(due - timedelta(days=1)) == 2
    assert services.remind(due - timedelta(days=1)) == 2  # the same day again: queued once per key
    assert OutboxMessage.objects.filter(key__startswith="mediation-report-").count() == 2
    services.file_report(town.seconds[0], month, by=community, zero=True)
    assert services.remind(due + timedelta(days=1)) == 1  # the day has passed: only the one still owing
    assert "已逾期" in OutboxMessage.objects.filter(to_grid_id=town.seconds[1].pk).latest("pk").title


def test_pages_exports_and_jurisdiction(client, town):
    worker = grid_worker(town.units[0])
    d = dispute(town.units[0], worker)
    centre = staff("centre_staff", scope=town.root)
    community = staff("community_staff", scope=town.seconds[1])
    client.force_login(grid_worker(town.units[7]))
    assert client.get(reverse("mediation:detail", args=[d.pk])).status_code == 404
    assert d.summary not in client.get(reverse("mediation:list")).content.decode()
    client.force_login(worker)
    new = client.post(
        reverse("mediation:new"),
        {
            "grid": town.units[0].pk,
            "kind": "family",
            "summary": "",
            "parties": "张某、赵某",
            "client_id": "n1",
        },
    )
    assert (
        new.status_code == 400
        and "请写明纠纷概况" in new.content.decode()
        and "张某、赵某" in new.content.decode()
    )
    page = client.post(reverse("mediation:detail", args=[d.pk]), {"action": "session", "notes": "当面调解"})
    assert page.status_code == 302 and d.sessions.count() == 1
    shown = client.get(reverse("mediation:detail", args=[d.pk])).content.decode()
    assert "当面调解" in shown and "上交上一级调解" in shown
    assert client.get(reverse("mediation:new")).status_code == 200
    client.force_login(community)
    month = services.month_start(services.today())
    r = client.post(
        reverse("mediation:monthly"), {"grid": town.seconds[1].pk, "month": f"{month:%Y-%m}", "zero": "1"}
    )
    assert r.status_code == 302 and MonthlyReport.objects.get().zero
    client.force_login(centre)
    text = client.get(reverse("mediation:monthly")).content.decode()
    assert town.seconds[0].name in text and "零报告" in text and "调解成功率 = 调解成功 ÷ 本月调结" in text
    headers, rows = read_rows(client.get(reverse("mediation:monthly"), {"format": "xlsx"}).content)
    assert headers[0] == "社区" and {r[0] for r in rows} == {g.name for g in town.seconds}
    _h, rows = read_rows(client.get(reverse("mediation:list"), {"format": "xlsx"}).content)
    assert [r[3] for r in rows] == [d.summary]
    _h, rows = read_rows(client.get(reverse("mediation:monthly"), {"format": "xlsx", "detail": "1"}).content)
    assert [(r[0], r[4]) for r in rows] == [("月末未结", d.summary)]
    pdf = client.get(reverse("mediation:monthly"), {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_parties_from_the_archive_by_id_number_within_jurisdiction(town):
    from wangge.registry.tests.factories import household_with_people

    worker = grid_worker(town.units[0])
    _hh, (mine, _s) = household_with_people(town.units[0])
    _hh2, (theirs, _s2) = household_with_people(town.units[7])
    d = dispute(town.units[0], worker, parties=["李某"], party_id_numbers=[mine.id_number])
    assert d.parties == [{"name": "李某"}, {"name": mine.name, "person": mine.pk}]
    with pytest.raises(ValidationError) as e:
        dispute(town.units[0], worker, party_id_numbers=[theirs.id_number])
    message = str(e.value)
    assert "找不到证件号码" in message and theirs.id_number not in message  # masked, and not a hint


def test_the_agreement_is_signed_printed_and_followed_up(client, town):
    import base64
    import io

    from PIL import Image

    from wangge.cases.tests.helpers import photo

    worker = grid_worker(town.units[0])
    d = dispute(town.units[0], worker)
    services.add_session(d, by=worker, notes="双方同意")
    with pytest.raises(ValidationError):
        services.sign(d, by=worker, party="王某", upload=photo())  # no agreement yet
    d = services.close(
        d, by=worker, status="agreed", outcome="和解", agreement="李某赔偿王某 500 元，七日内付清"
    )
    buf = io.BytesIO()
    Image.new("RGBA", (340, 140), (0, 0, 0, 0)).save(buf, "PNG")
    drawn = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    services.sign(d, by=worker, party="王某", drawn=drawn)
    services.sign(d, by=worker, party="李某", upload=photo())
    with pytest.raises(ValidationError):
        services.sign(d, by=worker, party="路人", drawn=drawn)
    with pytest.raises(ValidationError):
        services.sign(d, by=worker, party="王某", drawn="data:image/png;base64,not-base64!")
    assert [(s.party, s.kind) for s in d.signatures.all()] == [("王某", "drawn"), ("李某", "photo")]
    client.force_login(worker)
    page = client.get(reverse("mediation:detail", args=[d.pk])).content.decode()
    assert "李某赔偿王某 500 元" in page and "sign-pad" in page and "记录回访" in page
    pdf = client.get(reverse("mediation:agreement", args=[d.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert list(services.follow_ups_due(worker, on=d.follow_up_due)) == [d]
    with pytest.raises(ValidationError):
        services.follow_up(d, by=worker, kept=False)
    services.follow_up(d, by=worker, kept=True)
    assert list(services.follow_ups_due(worker, on=d.follow_up_due)) == []
    client.force_login(grid_worker(town.units[7]))
    assert client.get(reverse("mediation:agreement", args=[d.pk])).status_code == 404
    assert client.get(reverse("mediation:signature", args=[d.signatures.first().pk])).status_code == 404


def test_disputes_past_their_level_days_are_flagged_once(town):
    worker = grid_worker(town.units[0])
    d = dispute(town.units[0], worker, found_on=services.today() - timedelta(days=5))
    assert services.sweep_levels() == 1 and services.sweep_levels() == 1
    assert OutboxMessage.objects.filter(key=f"mediation-level-{d.pk}-unit").count() == 1


def test_the_whole_mediation_through_the_pages(client, town):
    import base64
    import io

    from PIL import Image

    from wangge.registry.tests.factories import household_with_people

    worker = grid_worker(town.units[0])
    _hh, (person, _s) = household_with_people(town.units[0])
    client.force_login(worker)
    made = client.post(
        reverse("mediation:new"),
        {
            "grid": town.units[0].pk,
            "kind": "neighbour",
            "summary": "院墙归属争议",
            "parties": "孙某",
            "party_id_numbers": person.id_number,
            "risk": "medium",
            "client_id": "page-1",
        },
    )
    assert made.status_code == 302
    d = Dispute.objects.get(client_id="page-1")
    assert d.parties == [{"name": "孙某"}, {"name": person.name, "person": person.pk}]
    url = reverse("mediation:detail", args=[d.pk])
    assert client.post(url, {"action": "session", "notes": "现场查看院墙"}).status_code == 302
    no_terms = client.post(url, {"action": "close", "status": "agreed", "outcome": "和解"})
    assert no_terms.status_code == 400 and "协议内容" in no_terms.content.decode()
    closed = client.post(
        url, {"action": "close", "status": "agreed", "outcome": "和解", "agreement": "院墙归孙某"}
    )
    assert closed.status_code == 302
    buf = io.BytesIO()
    Image.new("RGB", (200, 80), "white").save(buf, "PNG")
    drawn = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    assert client.post(url, {"action": "sign", "party": "孙某", "drawn": drawn}).status_code == 302
    # the page's "not kept" radio button says 0; it needs words, and a bad day is named as the day's error
    assert client.post(url, {"action": "follow_up", "kept": "0", "note": ""}).status_code == 400
    bad_day = client.post(url, {"action": "follow_up", "kept": "1", "visited_on": "2026-02-30"})
    assert bad_day.status_code == 400 and "日期格式应为" in bad_day.content.decode()
    assert client.post(url, {"action": "follow_up", "kept": "0", "note": "未按期砌墙"}).status_code == 302
    assert d.follow_ups.get().kept is False
    assert client.post(url, {"action": "follow_up", "kept": "1", "note": "已履行"}).status_code == 302
    page = client.get(url).content.decode()
    assert "院墙归孙某" in page and reverse("mediation:signature", args=[d.signatures.get().pk]) in page
    assert "已履行" in page


def test_a_scene_with_an_unknown_mediation_level_is_refused():
    from wangge.core.scenes import SceneError, validate_scene

    with pytest.raises(SceneError) as e:
        validate_scene({"name": "x", "mediation": {"report_level": "second", "level_days": {"village": 3}}})
    assert "未知的调解层级 village" in str(e.value)
