from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testkit import grid_worker
from wangge.core.excel import read_rows, read_table, write_workbook
from wangge.registry import importing
from wangge.registry.models import Household, ImportJob, Person
from wangge.registry.tests.factories import citizen_id, household_with_people

pytestmark = pytest.mark.django_db
HEADER = [
    "网格编码",
    "户号",
    "地址",
    "户别",
    "姓名",
    "证件号码",
    "与户主关系",
    "手机号",
    "出生日期",
    "人群类别",
]


def ledger(rows, header=HEADER) -> bytes:
    return write_workbook(header, rows)


def test_a_ledger_with_mistakes_reports_every_one_by_row_and_column_and_writes_nothing(town):
    unit = town.units[0]
    _, (known, _) = household_with_people(unit)
    good = citizen_id(date(1948, 2, 2))
    bad_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    dup = citizen_id(date(1990, 1, 1))
    rows = [
        [
            unit.code,
            "A1",
            "幸福路1号",
            "户籍户",
            "张大爷",
            good,
            "户主",
            "13800001111",
            "",
            "独居老人",
        ],  # row 2: fine
        [unit.code, "A2", "幸福路2号", "户籍户", "李四", bad_digit, "户主", "", "", ""],  # 3: check digit
        ["999999", "A3", "幸福路3号", "", "王五", "", "户主", "", "", ""],  # 4: unknown grid
        [unit.code, "A4", "幸福路4号", "", "赵六", dup, "户主", "", "", ""],  # 5
        [unit.code, "A4", "幸福路4号", "", "赵七", dup, "儿子", "", "", ""],  # 6: duplicate in file
        [
            unit.code,
            "A5",
            "幸福路5号",
            "",
            "钱八",
            known.id_number,
            "户主",
            "",
            "",
            "",
        ],  # 7: already in archive
        [unit.code, "A6", "幸福路6号", "", "", "", "户主", "", "", ""],  # 8: no name
        [unit.code, "A7", "幸福路7号", "", "孙九", "", "？", "", "去年", ""],  # 9: relation, date
        [unit.code, "A8", "幸福路8号", "", "周十", "", "户主", "12345", "", "外星人"],  # 10: phone, group
    ]
    before = (Person.objects.count(), Household.objects.count())
    report = importing.import_ledger(ledger(rows), commit=True, user=grid_worker(unit))
    got = {(e.row, e.column, e.message) for e in report.errors}
    assert (3, "F", "身份证号校验位不正确") in got
    assert (4, "A", "网格编码 999999 不存在或不在您的辖区内") in got
    assert (6, "F", "证件号码与第 5 行重复") in got
    assert (7, "F", "该证件号已在档案中登记") in got
    assert (8, "E", "缺少姓名") in got
    assert any(r == 9 and c == "G" and m.startswith("未知的与户主关系：？") for r, c, m in got)
    assert (9, "I", "“去年”不是日期（如 1950-03-04）") in got
    assert (10, "H", "电话号码格式不正确：12345") in got
    assert (
        10,
        "J",
        "未知的人群类别：外星人（第 10 行，共 1 行）："
        "请在检查结果中把它对应到已有类别、新增为类别或不导入这个标签",
    ) in got
    assert not any(r == 2 for r, _, _ in got)
    assert not report.committed
    assert (Person.objects.count(), Household.objects.count()) == before


def test_a_clean_ledger_commits_households_people_and_groups_at_once(town):
    unit, other = town.units[0], town.units[2]
    rows = [
        [
            unit.code,
            "L1",
            "幸福路1号",
            "户籍户",
            "张大爷",
            citizen_id(date(1940, 1, 1)),
            "户主",
            "13800001111",
            "",
            "独居老人",
        ],
        [
            other.code,
            "L2",
            "和平路2号",
            "流动户",
            "刘一",
            citizen_id(date(1985, 6, 1)),
            "户主",
            "",
            "",
            "流动人口",
        ],
        [other.code, "L2", "和平路2号", "流动户", "刘二", "", "子女", "", "2015/6/1", ""],
    ]
    from testkit import staff
    from wangge.accounts.models import User

    report = importing.import_ledger(
        ledger(rows), commit=True, user=staff(User.Role.CENTRE_STAFF, scope=town.root)
    )
    assert report.ok and report.committed and report.persons == 3 and report.households_new == 2
    l2 = Household.objects.get(number="L2")
    assert l2.grid == other and l2.residence == "floating" and l2.head.name == "刘一"
    child = Person.objects.get(name="刘二")
    assert child.birth_date == date(2015, 6, 1) and child.grid == other
    assert Person.objects.get(name="张大爷").memberships.get().group.key == "elderly_alone"


def test_a_worker_cannot_import_into_another_grid(town):
    rows = [[town.units[1].code, "X1", "外格1号", "", "外人", "", "户主", "", "", ""]]
    report = importing.import_ledger(ledger(rows), commit=True, user=grid_worker(town.units[0]))
    assert [e.message for e in report.errors] == [f"网格编码 {town.units[1].code} 不存在或不在您的辖区内"]
    assert not Person.objects.filter(name="外人").exists()


def test_upload_map_columns_check_with_progress_then_confirm(client, town):
    unit = town.units[0]
    worker = grid_worker(unit)
    client.force_login(worker)
    odd_header = ["所在网格", "家庭号", "名字", "身份证", "备注"]
    content = ledger([[unit.code, "M1", "新居民", citizen_id(date(1970, 3, 3)), "x"]], header=odd_header)
    response = client.post(
        reverse("registry:import"), {"kind": "persons", "file": SimpleUploadedFile("台账.xlsx", content)}
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("registry:import_mapping", args=[job.pk])
    mapping_page = client.get(response["Location"]).content.decode()
    assert "所在网格（A 列）" in mapping_page
    response = client.post(
        response["Location"], {"grid_code": "0", "household_number": "1", "name": "2", "id_number": "3"}
    )
    assert response["Location"] == reverse("registry:import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "checked" and job.report["ok"] and job.progress == 100
    page = client.get(reverse("registry:import_job", args=[job.pk])).content.decode()
    assert "确认导入" in page
    client.post(reverse("registry:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"
    assert Person.objects.filter(name="新居民", grid=unit).exists()
    # Confirming again (a double click, a retried request) imports nothing more.
    client.post(reverse("registry:import_commit", args=[job.pk]))
    assert Person.objects.filter(name="新居民").count() == 1
    # Another user's job is not found.
    client.force_login(grid_worker(unit))
    assert client.get(reverse("registry:import_job", args=[job.pk])).status_code == 404


def test_the_error_list_downloads_as_a_workbook(client, town):
    client.force_login(grid_worker(town.units[0]))
    content = ledger([[town.units[0].code, "E1", "", "", "", "", "", "", "", ""]])
    client.post(
        reverse("registry:import"), {"kind": "persons", "file": SimpleUploadedFile("a.xlsx", content)}
    )
    job = ImportJob.objects.get()
    listed = read_table(client.get(reverse("registry:import_errors", args=[job.pk])).content, ["行", "问题"])
    assert listed.sheet == "问题清单" and listed.header == ["行", "列", "表头", "问题"]
    assert listed.body[0][3] == "缺少姓名"


def test_not_a_spreadsheet_is_refused_clearly(client, town):
    client.force_login(grid_worker(town.units[0]))
    response = client.post(
        reverse("registry:import"), {"kind": "persons", "file": SimpleUploadedFile("a.xlsx", b"not excel")}
    )
    assert "无法读取文件" in response.content.decode()
    assert not ImportJob.objects.exists()
    header, rows = read_rows(client.get(reverse("registry:import_template")).content)
    assert header[0] == "网格编码*" and importing.auto_mapping(header)["name"] == 4


def test_an_organisation_ledger_is_checked_by_row_and_column_then_imported(client, town):
    from wangge.registry.models import Organisation

    unit = town.units[0]
    client.force_login(grid_worker(unit))
    header = ["网格编码", "名称", "类型", "统一社会信用代码", "联系电话"]
    bad = write_workbook(
        header,
        [
            [unit.code, "好茶厂", "企业", "91350100M000100Y43", "0593-5521234"],
            [unit.code, "坏码店", "个体户", "91350100M000100Y44", ""],
            [unit.code, "重码店", "个体户", "91350100M000100Y43", ""],
            [unit.code, "", "外星机构", "", "12"],
        ],
    )
    client.post(
        reverse("registry:import"), {"kind": "organisations", "file": SimpleUploadedFile("o.xlsx", bad)}
    )
    job = ImportJob.objects.get()
    got = {(e["row"], e["column"], e["message"]) for e in job.report["errors"]}
    assert (3, "D", "统一社会信用代码校验位不正确") in got
    assert (4, "D", "统一社会信用代码与第 2 行重复") in got
    assert (5, "B", "缺少名称") in got and (5, "E", "电话号码格式不正确：12") in got
    assert any(r == 5 and c == "C" and m.startswith("未知的单位类型：外星机构") for r, c, m in got)
    assert not Organisation.objects.exists()
    good = write_workbook(header, [[unit.code, "好茶厂", "企业", "91350100M000100Y43", "0593-5521234"]])
    client.post(
        reverse("registry:import"), {"kind": "organisations", "file": SimpleUploadedFile("o2.xlsx", good)}
    )
    job = ImportJob.objects.order_by("-pk").first()
    assert job.report["ok"]
    client.post(reverse("registry:import_commit", args=[job.pk]))
    org = Organisation.objects.get()
    assert org.grid == unit and org.kind == "enterprise" and org.phone == "05935521234"
    # the same unit again, in a later ledger: its row and column, not a failed import
    client.post(
        reverse("registry:import"), {"kind": "organisations", "file": SimpleUploadedFile("o3.xlsx", good)}
    )
    again = ImportJob.objects.order_by("-pk").first()
    assert [(e["row"], e["column"], e["message"]) for e in again.report["errors"]] == [
        (2, "D", "该统一社会信用代码已登记")
    ]
    header_row, _ = read_rows(
        client.get(reverse("registry:import_template"), {"kind": "organisations"}).content
    )
    assert header_row[:3] == ["网格编码*", "名称*", "类型*"]


def test_a_house_ledger_with_points_and_hazards(client, town):
    import shapely

    from wangge.registry.models import Hazard, House

    unit = town.units[0]
    x, y = shapely.geometry.shape(unit.boundary).centroid.coords[0]
    client.force_login(grid_worker(unit))
    header = ["网格编码", "地址", "楼栋", "用途", "面积", "经度", "纬度", "隐患"]
    bad = write_workbook(
        header,
        [
            [unit.code, "幸福路1号", "1栋", "自住", "86", x, y, "电路老化、危房C"],
            [unit.code, "幸福路1号", "1栋", "出租", "abc", x, y, ""],
            [unit.code, "幸福路2号", "", "仓库", "50", 100.0, 30.0, "危房"],
        ],
    )
    client.post(reverse("registry:import"), {"kind": "houses", "file": SimpleUploadedFile("h.xlsx", bad)})
    got = {(e["row"], e["column"], e["message"]) for e in ImportJob.objects.get().report["errors"]}
    assert (3, "B", "地址与第 2 行重复") in got and (3, "E", "“abc”不是数字") in got
    assert any(r == 4 and c == "D" and m.startswith("未知的房屋用途：仓库") for r, c, m in got)
    assert any(r == 4 and c == "F" and "不在网格" in m for r, c, m in got)
    assert (4, "H", "危房须注明鉴定等级，如“危房C”") in got
    assert not House.objects.exists()
    good = write_workbook(header, [[unit.code, "幸福路1号", "1栋", "自住", "86", x, y, "电路老化、危房C"]])
    client.post(reverse("registry:import"), {"kind": "houses", "file": SimpleUploadedFile("h2.xlsx", good)})
    job = ImportJob.objects.order_by("-pk").first()
    client.post(reverse("registry:import_commit", args=[job.pk]))
    house = House.objects.get()
    assert house.building.name == "1栋" and house.area_m2 == 86
    assert sorted(Hazard.objects.values_list("kind", "grade")) == [
        ("dangerous_building", "C"),
        ("old_wiring", ""),
    ]


def test_a_commit_after_a_dry_run_catches_what_changed_in_between_and_writes_nothing(town):
    from wangge.grids import services as grids
    from wangge.registry import services as registry

    unit, other = town.units[0], town.units[1]
    taken = citizen_id(date(1961, 6, 1))
    content = ledger(
        [
            [unit.code, "C1", "和平路1号", "", "甲", citizen_id(date(1960, 5, 5)), "户主", "", "", ""],
            [unit.code, "C2", "和平路2号", "", "乙", taken, "户主", "", "", ""],
            [other.code, "C3", "和平路3号", "", "丙", "", "户主", "", "", ""],
        ]
    )
    assert importing.import_ledger(content).ok
    # Meanwhile: someone registers the second row's ID number, and the third row's grid closes.
    registry.register_person(registry.PersonIn(name="乙", id_number=taken), grid=unit)
    grids.close_grid(other)
    before = Person.objects.count()
    report = importing.import_ledger(content, commit=True)
    got = {(e.row, e.column, e.message) for e in report.errors}
    assert (3, "F", "该证件号已在档案中登记") in got
    assert (4, "A", f"网格编码 {other.code} 已停用或不在您的辖区内") in got
    assert not report.committed and Person.objects.count() == before


def test_an_id_number_registered_between_dry_run_and_commit_is_refused_by_row_and_nothing_is_written(town):
    from wangge.registry import services as registry

    unit = town.units[0]
    taken = citizen_id(date(1962, 2, 2))
    content = ledger(
        [
            [unit.code, "E1", "和平路5号", "", "甲", citizen_id(date(1963, 3, 3)), "户主", "", "", ""],
            [unit.code, "E1", "和平路5号", "", "乙", taken, "配偶", "", "", ""],
        ]
    )
    assert importing.import_ledger(content).ok
    registry.register_person(registry.PersonIn(name="乙", id_number=taken), grid=unit)  # only the ID
    persons, households = Person.objects.count(), Household.objects.count()
    report = importing.import_ledger(content, commit=True)
    assert [(e.row, e.column, e.message) for e in report.errors] == [(3, "F", "该证件号已在档案中登记")]
    assert not report.committed
    assert (Person.objects.count(), Household.objects.count()) == (persons, households)


def test_a_household_number_taken_in_another_grid_between_dry_run_and_commit_is_refused(town):
    from wangge.registry import services as registry

    unit, other = town.units[0], town.units[1]
    content = ledger(
        [[unit.code, "F1", "和平路6号", "", "甲", citizen_id(date(1964, 4, 4)), "户主", "", "", ""]]
    )
    assert importing.import_ledger(content).ok
    registry.create_household(grid=other, number="F1")
    persons = Person.objects.count()
    report = importing.import_ledger(content, commit=True)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "B", "户号 F1 已在系统中属于其他网格")
    ]
    assert not report.committed and Person.objects.count() == persons


def test_a_clean_dry_run_then_commit_writes_every_row_once(town):
    unit = town.units[0]
    content = ledger(
        [
            [
                unit.code,
                "D1",
                "和平路9号",
                "",
                "丁",
                citizen_id(date(1970, 7, 7)),
                "户主",
                "13700001111",
                "",
                "",
            ],
            [unit.code, "D1", "和平路9号", "", "戊", citizen_id(date(1972, 8, 8)), "配偶", "", "", ""],
        ]
    )
    assert importing.import_ledger(content).ok
    report = importing.import_ledger(content, commit=True)
    assert report.committed and report.persons == 2
    household = Household.objects.get(number="D1")
    assert household.head.name == "丁" and sorted(p.name for p in household.members.all()) == ["丁", "戊"]
    assert household.members.get(name="丁").phone == "13700001111"  # encrypted on the way in, read back
    again = importing.import_ledger(content, commit=True)  # the same file twice: refused, not doubled
    assert not again.committed and Person.objects.filter(household=household).count() == 2
