from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.cases import hotline
from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, inside
from wangge.core.excel import read_rows, write_workbook
from wangge.registry import services as registry

pytestmark = pytest.mark.django_db


def houses(town):
    """A small standard address base: two buildings' houses with points in two unit grids."""
    for grid, road in ((town.units[0], "胜利街12号"), (town.units[7], "茗溪路8号")):
        lon, lat = inside(grid)
        for room in ("101", "102"):
            registry.create_house(grid=grid, address=f"{road}1单元{room}室", room=room, lon=lon, lat=lat)


def orders(rows):
    return write_workbook(hotline.COLUMNS, rows)


def test_orders_are_matched_to_the_address_base_and_the_rest_wait_for_a_person(town):
    houses(town)
    content = orders([
        ["GD001", "2026-03-04 09:30", "王", "13800001234", "胜利街１２号1单元101室", "路灯不亮", "路灯不亮",
         "2026-03-10"],
        ["GD002", "2026-03-04 10:00", "李女士", "", "茗溪路8号1单元102", "垃圾没人清", "垃圾乱堆乱放", ""],
        ["GD003", "2026-03-04 11:00", "赵先生", "", "城外某处山脚下", "有人烧荒", "野外用火", ""],
    ])  # fmt: skip
    report = hotline.import_orders(content)
    assert report.committed and len(report.imported) == 3 and report.matched == 2
    assert report.matched_share == pytest.approx(2 / 3)
    lamp, rubbish, fire = report.imported
    assert (
        lamp.hotline_number == "GD001"
        and lamp.grid == town.units[0]
        and lamp.handler_department.key == "housing"
    )
    assert lamp.attributes["匹配地址"] == "胜利街12号1单元101室" and lamp.attributes["地址匹配度"] == 100
    assert lamp.due_at.date().isoformat() == "2026-03-10" and lamp.channel == "hotline"
    assert rubbish.grid == town.units[7] and rubbish.category.key == "garbage_dumping"
    assert fire.grid is None and fire.category.key == "other_issue"
    assert report.unmatched == [("GD003", "城外某处山脚下", "地址中没有道路和门牌号")]
    assert fire.attributes["未定位原因"] == "地址中没有道路和门牌号"
    # a person places it on the map; it is routed from there
    cast = Cast(town)
    lon, lat = inside(town.units[3])
    cases.place(fire, by=cast.centre, lon=lon, lat=lat)
    assert fire.grid == town.units[3] and fire.events.last().action == "place"


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(town):
    houses(town)
    content = orders([
        ["GD010", "2026-03-04 09:30", "甲", "138", "胜利街12号", "路灯", "路灯不亮", ""],
        ["", "昨天", "乙", "", "胜利街12号", "", "", "下周"],
        ["GD010", "", "丙", "", "", "路灯", "", ""],
    ])  # fmt: skip
    report = hotline.import_orders(content)
    got = {(e.row, e.column, e.message) for e in report.errors}
    assert (2, "D", "电话号码格式不正确：138") in got
    assert (3, "A", "缺少工单编号") in got and (3, "F", "缺少诉求内容") in got
    assert (3, "B", "“昨天”不是时间（如 2026-03-04 09:30）") in got and (
        3,
        "H",
        "“下周”不是日期（如 2026-03-10）",
    ) in got
    assert (4, "A", "工单编号与第 2 行重复") in got and (4, "E", "缺少地址") in got
    assert not report.committed and Case.objects.count() == 0
    again = hotline.import_orders(orders([["GD020", "", "", "", "胜利街12号", "路灯", "", ""]]))
    assert again.committed
    dup = hotline.import_orders(orders([["GD020", "", "", "", "胜利街12号", "路灯", "", ""]]))
    assert (2, "A", "工单 GD020 已导入过") in {(e.row, e.column, e.message) for e in dup.errors}


def test_keep_good_imports_the_good_rows_and_returns_the_bad_ones(town):
    houses(town)
    content = orders([
        ["GD030", "", "", "", "胜利街12号1单元101室", "路灯", "路灯不亮", ""],
        ["GD031", "", "", "", "", "没有地址", "", ""],
    ])  # fmt: skip
    report = hotline.import_orders(content, keep_good=True)
    assert [c.hotline_number for c in report.imported] == ["GD030"]
    header, rows = read_rows(report.bad_rows)
    assert header[-1] == "问题" and rows[0][0] == "GD031" and "E列 缺少地址" in rows[0][-1]


def test_the_answers_go_back_in_the_hotline_format(client, town):
    houses(town)
    cast = Cast(town)
    case = hotline.import_orders(
        orders([["GD040", "", "", "", "胜利街12号1单元101室", "垃圾", "垃圾乱堆乱放", ""]])
    )
    case = case.imported[0]
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.worker)
    cases.handle(case, by=cast.worker, comment="已清运")
    cases.verify(case, by=cast.centre, passed=True)
    client.force_login(cast.centre)
    header, rows = read_rows(client.get(reverse("cases:hotline_answers")).content)
    assert header == hotline.ANSWER_COLUMNS and rows[0][:3] == ["GD040", "已结案", "已清运"]


def test_the_import_page_reports_the_matched_share_and_each_bad_row(client, town):
    houses(town)
    cast = Cast(town)
    client.force_login(cast.worker)
    assert client.get(reverse("cases:hotline_import")).status_code == 403
    client.force_login(cast.centre)
    good = orders([["GD050", "", "", "", "胜利街12号1单元101室", "路灯", "路灯不亮", ""]])
    page = client.post(reverse("cases:hotline_import"), {"file": _file(good)}).content.decode()
    assert "导入 1 件" in page and "100.00%" in page
    bad = orders([["GD051", "", "", "", "", "x", "", ""]])
    page = client.post(reverse("cases:hotline_import"), {"file": _file(bad)}).content.decode()
    assert "未导入任何工单" in page and "缺少地址" in page


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("orders.xlsx", content)


def test_excel_date_numbers_and_chinese_forms_are_times_too(town):
    houses(town)
    nine_am = (datetime(2026, 12, 5, 9, 0) - datetime(1899, 12, 30)).total_seconds() / 86400  # 46361.375
    content = orders([
        ["GD100", nine_am, "甲", "", "胜利街12号", "路灯", "路灯不亮", 46366],
        ["GD101", "2026年12月5日 09:00", "乙", "", "胜利街12号", "井盖", "", "2026/12/10"],
    ])  # fmt: skip
    report = hotline.import_orders(content)
    assert report.committed, report.errors
    for number in ("GD100", "GD101"):
        case = Case.objects.get(hotline_number=number)
        assert case.attributes["来电时间"] == "2026-12-05T01:00:00+00:00"  # 09:00 in Shouning, as UTC
        assert timezone.localtime(case.due_at).date() == date(2026, 12, 10)  # the deadline's whole day
