"""Ledgers (台账) laid out the way communities keep them, for the import's tests: a notes sheet before
the data, a title and a fill-in line above the header, the community's own column names, a serial-number
column, blank rows between households, and mistakes planted where the test says.

`community_ledger` returns the file and what a careful clerk would expect of it: the header's row, the
persons it holds, and each planted mistake's Excel row and column.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import xlsxwriter

from wangge.core.excel import column_letter
from wangge.core.names import mobile, person_name
from wangge.registry.validators import make_citizen_id

# The data sheet's columns as a community names them (synonyms of the import's own names).
COMMUNITY_HEADER = [
    "序号",
    "所属网格",
    "户编号",
    "姓名",
    "性别",
    "公民身份号码",
    "与户主的关系",
    "出生日期",
    "民族",
    "联系电话",
    "现居住地址",
    "重点人群类别",
    "备注",
]
SHEET = "实有人口台账"
# GB/T 4761 terms a household's other members are written with
RELATION_TERMS = ["子", "女", "儿媳", "女婿", "孙子", "孙女", "父亲", "母亲", "外孙女", "弟", "祖母"]


MISTAKE_COLUMNS = {
    "bad_check_digit": "公民身份号码",
    "duplicate_id": "公民身份号码",
    "unknown_group": "重点人群类别",
    "no_name": "姓名",
    "unknown_ethnicity": "民族",
    "birth_date_contradicts_id": "出生日期",
    "sex_contradicts_id": "性别",
    "excel_number_id": "公民身份号码",
    "ten_digit_mobile": "联系电话",
    "landline_without_area_code": "联系电话",
}


@dataclass
class Planted:
    """A mistake put in the ledger: where a careful clerk would expect the import to point."""

    row: int  # Excel row
    column: str  # letter
    header: str  # the sheet's own header of that column
    what: str  # which mistake (the key given to community_ledger)


@dataclass
class CommunityLedger:
    content: bytes
    header_row: int
    sheet: str
    persons: int  # data rows holding a person
    households: int
    planted: list[Planted] = field(default_factory=list)
    set_aside: dict[int, str] = field(default_factory=dict)  # Excel row -> "hidden" / "struck"
    ids: list[str] = field(default_factory=list)  # each person's ID number, by index (dropped ones too)
    heads: frozenset[int] = frozenset()  # the indexes of the heads of household
    numbers: list[str] = field(default_factory=list)  # each person's household number, by index


def _cell(name: str) -> int:
    return COMMUNITY_HEADER.index(name)


def community_ledger(
    grids: list[str],
    *,
    households: int = 20,
    seed: int = 1,
    mistakes: dict[int, str] | None = None,
    region: str = "350924",
    prefix: str = "C",
    everyday: bool = False,
    hidden: frozenset[int] = frozenset(),
    struck: frozenset[int] = frozenset(),
    amended: dict[int, dict[str, object]] | None = None,
    dropped: frozenset[int] = frozenset(),
) -> CommunityLedger:
    """A ledger of `households` households in the given grids (what its grid column says: codes, names or
    names down the tree, 敖东社区/第一网格). `mistakes` plants one mistake in the
    person with that index (0-based, in file order): "bad_check_digit", "duplicate_id" (the previous
    person's ID number), and the others of MISTAKE_COLUMNS, each in the column it names. With `everyday`,
    the ledger writes as many clerks do: 汉 for 汉族, sex as 1 and 2, relations by GB/T 4761's terms
    (子, 女, 儿媳). The persons of `hidden` are on hidden rows, those of `struck` struck through (moved out,
    as communities mark them); their Excel rows are in `set_aside`.

    Next month's ledger is the same call with the same seed and more households (the first ones come
    out the same), `amended` (person index -> {header: new value}) and `dropped` (persons left out)."""
    rng = random.Random(seed)
    mistakes = mistakes or {}
    notes = [
        "填表说明：",
        "1. 每户第一行为户主。",
        "2. 身份证号请填写 18 位。",
        "3. 重点人群类别可填多项，用顿号分隔。",
    ]
    title = f"{'、'.join(grids[:2])}等网格实有人口台账"
    fill_in = "填报单位：社区居委会        填报人：王丽        填报日期：2026年11月30日"
    header_row = 3  # title, fill-in line, header
    rows: list[list] = []
    planted: list[Planted] = []
    excel_row = header_row
    persons = 0
    last_id = ""
    set_aside: dict[int, str] = {}  # Excel row -> "hidden" / "struck"
    ids: list[str] = []
    heads: set[int] = set()
    numbers: list[str] = []
    for h in range(households):
        code = rng.choice(grids)
        number = f"{prefix}{h + 1:05d}"
        address = f"敖阳路{h + 1}号"
        size = rng.choice([1, 2, 2, 3, 3, 4, 5])
        for k in range(size):
            born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 28000))
            male = rng.random() < 0.5
            id_number = make_citizen_id(region, born, persons * 3 + 1, male)
            if everyday:
                relation = (
                    "户主" if k == 0 else rng.choice(["妻", "夫"]) if k == 1 else rng.choice(RELATION_TERMS)
                )
                sex, nation = ("1" if male else "2"), "汉"
            else:
                relation = "户主" if k == 0 else rng.choice(["配偶", "子女", "父母"]) if k == 1 else "子女"
                sex, nation = ("男" if male else "女"), "汉族"
            row = [
                persons + 1,
                code,
                number,
                person_name(rng),
                sex,
                id_number,
                relation,
                born.isoformat(),
                nation,
                mobile(rng) if rng.random() < 0.8 else "",
                address,
                "独居老人" if size == 1 and rng.random() < 0.3 else "",
                "",
            ]
            excel_row += 1
            what = mistakes.get(persons)
            if what is not None:
                column = MISTAKE_COLUMNS[what]
                if what == "bad_check_digit":
                    row[_cell(column)] = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
                elif what == "duplicate_id":
                    row[_cell(column)] = last_id
                elif what == "unknown_group":
                    row[_cell(column)] = "外星来客"
                elif what == "no_name":
                    row[_cell(column)] = ""
                elif what == "unknown_ethnicity":
                    row[_cell(column)] = "火星族"
                elif what == "birth_date_contradicts_id":
                    row[_cell(column)] = (born + timedelta(days=40)).isoformat()
                elif what == "sex_contradicts_id":
                    row[_cell(column)] = ("2" if male else "1") if everyday else ("女" if male else "男")
                elif what == "excel_number_id":  # typed into a cell formatted as a number
                    row[_cell(column)] = float(id_number.replace("X", "0"))
                elif what == "ten_digit_mobile":
                    row[_cell(column)] = "1381234567"
                elif what == "landline_without_area_code":
                    row[_cell(column)] = "5521234"
                planted.append(Planted(excel_row, column_letter(_cell(column)), column, what))
            last_id = row[_cell("公民身份号码")]
            ids.append(id_number)
            numbers.append(number)
            if k == 0:
                heads.add(persons)
            for header, value in (amended or {}).get(persons, {}).items():
                row[_cell(header)] = value
            if persons in dropped:  # not written: the rows below move up
                excel_row -= 1
                persons += 1
                continue
            if persons in hidden or persons in struck:
                set_aside[excel_row] = "hidden" if persons in hidden else "struck"
            rows.append(row)
            persons += 1
        if h % 5 == 4:
            rows.append([None] * len(COMMUNITY_HEADER))  # a blank row after every fifth household
            excel_row += 1
    content = _write(notes, title, fill_in, rows, set_aside)
    written = persons - len(dropped)
    return CommunityLedger(
        content, header_row, SHEET, written, households, planted, set_aside, ids, frozenset(heads), numbers
    )


def _write(notes: list[str], title: str, fill_in: str, rows: list[list], set_aside: dict[int, str]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    info = book.add_worksheet("填表说明")
    for r, line in enumerate(notes):
        info.write_string(r, 0, line)
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True, "align": "center", "font_size": 16})
    sheet.merge_range(0, 0, 0, len(COMMUNITY_HEADER) - 1, title, bold)
    sheet.merge_range(1, 0, 1, len(COMMUNITY_HEADER) - 1, fill_in)
    for c, name in enumerate(COMMUNITY_HEADER):
        sheet.write_string(2, c, name)
    strike = book.add_format({"font_strikeout": True})
    for r, row in enumerate(rows, start=3):
        why = set_aside.get(r + 1)  # Excel rows count from 1
        if why == "hidden":
            sheet.set_row(r, None, None, {"hidden": True})
        fmt = strike if why == "struck" else None
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value, fmt)
            else:
                sheet.write_string(r, c, str(value), fmt)
    book.close()
    return buf.getvalue()
