from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.cases import figures
from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, inside, report
from wangge.core.excel import read_rows

pytestmark = pytest.mark.django_db


def period():
    today = timezone.localdate()
    return figures.Period(today - timedelta(days=1), today + timedelta(days=60))


def loop(cast, case, *, late=False, rework=False, rating=None, handler=None):
    handler = handler or cast.worker
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    cases.handle(case, by=handler, comment="办了")
    if rework:
        cases.verify(case, by=cast.worker, passed=False, comment="没办好")
        cases.handle(case, by=handler, comment="再办")
    if late:  # the deadline passed before it was closed
        Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(minutes=5))
        case.refresh_from_db()
    cases.verify(case, by=cast.worker, passed=True)
    if rating:
        cases.rate(case, rating=rating)


def test_each_figure_is_its_numerator_over_its_denominator(town):
    cast = Cast(town)
    a, b, c, d = (report(town.units[0], channel="hotline", description=f"问题{i}") for i in range(4))
    loop(cast, a, rating="satisfied")
    loop(cast, b, late=True, rating="basic")
    loop(cast, c, rework=True, rating="satisfied")
    cases.accept(d, by=cast.worker)
    cases.dispatch(d, by=cast.centre)  # due in the period, not closed
    rejected = report(town.units[0], description="不归我们管")
    cases.reject(rejected, by=cast.worker, reason="not_ours", comment="物业的事")
    got = {f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period())}
    assert got["acceptance"] == (4, 5)  # 4 accepted of 5 received
    assert got["closure"] == (3, 4) and got["on_time"] == (2, 4)  # b closed after its deadline
    assert got["rework"] == (1, 3) and got["in_grid"] == (3, 3)
    assert got["satisfaction"] == (3, 3) and got["resolution"] == (3, 3) and got["response"] == (4, 4)
    f = {x.key: x for x in figures.compute(Case.objects.all(), period())}
    assert f["on_time"].value == 0.5
    assert figures.hotline_score(list(f.values())) == pytest.approx(1.0)


def test_suspended_cases_can_be_left_out_of_the_denominator(town):
    cast = Cast(town)
    a, b = report(town.units[0]), report(town.units[0])
    loop(cast, a)
    cases.accept(b, by=cast.worker)
    cases.dispatch(b, by=cast.centre)
    cases.suspend(b, by=cast.centre, comment="等天晴")
    Case.objects.filter(pk=b.pk).update(due_at=timezone.now() + timedelta(days=1))
    both = {f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period())}
    without = {
        f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period(), leave_out_suspended=True)
    }
    assert both["closure"] == (1, 2) and without["closure"] == (1, 1)


def test_returns_extensions_and_a_published_ratio(town):
    cast = Cast(town)
    lamp = report(town.units[0], "street_lamp", description="路灯")
    cases.accept(lamp, by=cast.worker)
    cases.dispatch(lamp, by=cast.centre, to_department=cast.police.department)
    cases.return_case(lamp, by=cast.police, comment="不是我们的")
    cases.dispatch(lamp, by=cast.centre, to_department=cast.housing.department)
    cases.request_extension(
        lamp, by=cast.housing, until=lamp.stage_due_at + timedelta(days=3), comment="等配件"
    )
    cases.decide_extension(lamp, by=cast.centre, approve=True)
    got = {f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period())}
    assert got["returned"] == (1, 1) and got["extension"] == (1, 1)
    # a city's published figure checks out the same way: 737 closed on time of 972 due is 75.82%
    assert (
        f"{figures.Figure('x', '', '', Case.objects.none(), Case.objects.none(), 737, 972).value:.2%}"
        == "75.82%"
    )


def test_the_figures_page_shows_formulas_and_drills_down_to_the_cases(client, town):
    cast = Cast(town)
    a = report(town.units[0])
    loop(cast, a)
    b = report(town.units[0])
    client.force_login(cast.centre)
    page = client.get(reverse("cases:figures")).content.decode()
    assert "按期结案数 ÷ 期内应结案数" in page and "立案率" in page
    den = client.get(reverse("cases:figure_cases", args=["acceptance", "den"])).content.decode()
    assert a.code in den and b.code in den
    num = client.get(reverse("cases:figure_cases", args=["acceptance", "num"])).content.decode()
    assert a.code in num and b.code not in num
    header, rows = read_rows(client.get(reverse("cases:figures"), {"format": "xlsx"}).content)
    assert header == ["指标", "公式", "分子", "分母", "值"] and rows[0][:4] == [
        "立案率",
        "立案数 ÷ 受理（上报）数",
        1,
        2,
    ]
    client.force_login(cast.worker)  # a grid worker is not measured by figures (and has no such page)
    assert client.get(reverse("cases:figures")).status_code == 403


def test_repeated_hotline_calls_are_grouped(town):
    from wangge.cases import hotline
    from wangge.core.excel import write_workbook

    rows = [
        ["R1", "", "王", "13800005555", "胜利街3号", "楼上漏水", "邻里纠纷", ""],
        ["R2", "", "王", "13800005555", "胜利街3号", "楼上还在漏水", "邻里纠纷", ""],
        ["R3", "", "李", "", "别处", "路灯坏了", "路灯不亮", ""],
    ]
    report_ = hotline.import_orders(write_workbook(hotline.COLUMNS, rows))
    first, second, third = report_.imported
    assert second.repeat_of == first and third.repeat_of is None
    got = {f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period())}
    assert got["repeat"] == (1, 3)


def test_the_repeat_rate_per_grid_on_the_figures_page(client, town):
    cast = Cast(town)
    first = report(town.units[0], reporter_phone="13800005555", channel="hotline", hotline_number="P1")
    again = report(town.units[0], reporter_phone="13800005555", channel="hotline", hotline_number="P2")
    Case.objects.filter(pk=again.pk).update(repeat_of=first)
    report(town.units[7], channel="hotline", hotline_number="P3")
    rows = dict(figures.by_grid(Case.objects.all(), period(), town.seconds, "repeat"))
    assert (rows[town.seconds[0]].num, rows[town.seconds[0]].den) == (1, 2)
    assert (rows[town.seconds[1]].num, rows[town.seconds[1]].den) == (0, 1)
    client.force_login(cast.centre)
    page = client.get(reverse("cases:figures")).content.decode()
    table = page.split('id="repeat-by-grid"')[1]
    assert town.seconds[0].name in table and "50.00%" in table


def test_repeated_calls_are_answered_with_the_first(town):
    from wangge.cases import hotline
    from wangge.core.excel import write_workbook

    cast = Cast(town)
    rows = [
        ["Q1", "", "王", "13800007777", "胜利街5号", "门口井盖没了", "井盖缺失破损", ""],
        ["Q2", "", "王", "13800007777", "胜利街5号", "井盖还是没有", "井盖缺失破损", ""],
    ]
    first, second = hotline.import_orders(write_workbook(hotline.COLUMNS, rows)).imported
    lon, lat = inside(town.units[0])
    cases.place(first, by=cast.centre, lon=lon, lat=lat)
    cases.accept(first, by=cast.centre)
    cases.dispatch(first, by=cast.centre)
    cases.handle(first, by=cast.housing, comment="已补装井盖")
    cases.verify(first, by=cast.centre, passed=True)
    second.refresh_from_db()
    assert second.status == "closed" and second.outcome == "solved" and second.answer == "已补装井盖"
    assert second.events.last().action == "close"


def test_a_repeat_group_is_shown_and_handled_together(client, town):
    from django.urls import reverse

    from wangge.cases import hotline
    from wangge.core.excel import write_workbook

    cast = Cast(town)
    rows = [
        ["G1", "", "王", "13800008888", "胜利街7号", "路灯不亮", "路灯不亮", ""],
        ["G2", "", "王", "13800008888", "胜利街7号", "路灯还是不亮", "路灯不亮", ""],
        ["G3", "", "王", "13800008888", "胜利街7号", "第三次打电话了", "路灯不亮", ""],
    ]
    first, second, third = hotline.import_orders(write_workbook(hotline.COLUMNS, rows)).imported
    lon, lat = inside(town.units[0])
    cases.place(first, by=cast.centre, lon=lon, lat=lat)
    client.force_login(cast.centre)
    page = client.get(reverse("cases:detail", args=[first.code])).content.decode()
    assert 'id="repeat-group"' in page and "重复来电 2 次" in page and second.code in page
    detail = client.get(f"/api/cases/{third.code}").json()
    assert detail["repeat_of"] == first.code and detail["repeats"] == [second.code, third.code]
    client.post(reverse("cases:act", args=[first.code, "handle_together"]))
    second.refresh_from_db()
    assert second.follows_first and second.accepted_at is not None and second.next_check_at is None
    queue = client.get(reverse("cases:queue"), {"tab": "reported"}).content.decode()
    assert second.code not in queue and third.code not in queue
    cases.accept(first, by=cast.centre)
    cases.dispatch(first, by=cast.centre)
    cases.handle(first, by=cast.housing, comment="已更换灯泡")
    cases.verify(first, by=cast.centre, passed=True)
    for repeat in (second, third):
        repeat.refresh_from_db()
        assert repeat.status == "closed" and repeat.answer == "已更换灯泡"


def test_the_figures_through_the_api_are_the_pages_figures(client, town):
    cast = Cast(town)
    case = report(town.units[0])
    cases.accept(case, by=cast.worker)
    client.force_login(cast.centre)
    got = client.get("/api/cases/figures", {"grid": town.units[0].code}).json()
    by_key = {f["key"]: f for f in got["figures"]}
    assert by_key["acceptance"]["numerator"] == by_key["acceptance"]["denominator"] == 1
    assert by_key["acceptance"]["value"] == 1.0 and by_key["acceptance"]["formula"]
    assert got["grid"] == town.units[0].code
    client.force_login(cast.other_worker)  # another grid's worker: not found, not counted
    assert client.get("/api/cases/figures", {"grid": town.units[0].code}).status_code in (403, 404)
