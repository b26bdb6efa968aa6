"""Import households and persons from an Excel ledger (台账): template, column mapping, dry run, commit.

Every row is checked first and every problem is reported with its Excel row and column and a Chinese
message; nothing is written unless there are none, and then everything is written in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import shapely
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from wangge.audit import services as audit
from wangge.core import bulk, crypto
from wangge.core.excel import (
    RowError,
    Table,
    column_letter,
    excel_serial_moment,
    header_name,
    marked_rows,
    read_table,
    write_workbook,
)
from wangge.grids import jurisdiction
from wangge.grids import services as grids_service
from wangge.grids.models import Grid
from wangge.registry import ledger_refresh, signals
from wangge.registry.models import (
    Building,
    GroupAlias,
    GroupMembership,
    Hazard,
    House,
    Household,
    HouseholdGridHistory,
    Organisation,
    Person,
    SavedMapping,
    SpecialGroup,
)
from wangge.registry.validators import (
    IdError,
    check_credit_code,
    parse_document,
    parse_phone,
    upgrade_citizen_id,
)
from wangge.registry.vocabularies import (
    MARITAL_LABELS,
    MARITAL_STATUSES,
    POPULATION_LABELS,
    POPULATION_TYPES,
    RELATIONS,
    SEX_LABELS,
    SEXES,
    ethnicity,
)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""


COLUMNS = [
    # aliases: the names communities' own ledgers give the column (matched without spaces or *)
    Column(
        "grid_code",
        "网格编码",
        True,
        ("网格", "所属网格编码", "所属网格", "网格名称", "网格号"),
        "350924001001001001",
    ),
    Column("household_number", "户号", True, ("户编号", "家庭编号", "户编码", "家庭户号"), "H0001"),
    Column(
        "address",
        "地址",
        False,
        ("住址", "房屋地址", "现住址", "现居住地址", "居住地址", "家庭住址"),
        "胜利街12号2单元301室",
    ),
    Column("residence", "户别", False, ("户籍类型", "人户状态", "户类型"), "户籍户"),
    Column("name", "姓名", True, ("名字", "居民姓名", "人员姓名"), "张三"),
    Column("doc_type", "证件类型", False, ("证件种类",), "居民身份证"),
    Column(
        "id_number",
        "证件号码",
        False,
        ("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证件号码", "证件号"),
        "350924195003041231",
    ),
    Column("relation", "与户主关系", False, ("户主关系", "关系", "与户主的关系", "家庭关系"), "户主"),
    Column(
        "phone",
        "手机号",
        False,
        ("联系电话", "电话", "手机", "手机号码", "联系方式", "电话号码"),
        "13812345678",
    ),
    Column("birth_date", "出生日期", False, ("出生年月", "出生年月日", "生日"), ""),
    Column("sex", "性别", False, (), ""),
    Column("ethnicity", "民族", False, (), "汉族"),
    Column("education", "文化程度", False, ("学历",), "初中"),
    Column("occupation", "职业", False, (), "务农"),
    Column("employer", "工作单位", False, ("单位", "工作单位及职务"), ""),
    Column("chronic_illness", "慢性病", False, (), ""),
    Column("disability_grade", "残疾等级", False, (), ""),
    Column("political_status", "政治面貌", False, (), "群众"),
    Column("groups", "人群类别", False, ("特殊人群", "重点人群", "人员类别", "重点人群类别"), "独居老人"),
    Column("population_type", "人口类型", False, ("人口类别", "人员类型", "户籍性质"), "户籍人口"),
    Column("marital_status", "婚姻状况", False, ("婚姻状态", "婚姻"), "已婚"),
    Column("registered_address", "户籍地址", False, ("户籍所在地", "户口所在地", "户籍地", "户籍地详址"), ""),
    Column("registered_on", "登记日期", False, ("采集日期", "登记时间", "入册日期"), ""),
    Column("note", "备注", False, ("说明",), ""),
]


ORG_COLUMNS = [
    Column("grid_code", "网格编码", True, ("网格", "所属网格编码"), "350924001001001001"),
    Column("name", "名称", True, ("单位名称", "企业名称", "商户名称"), "寿宁茶业有限公司"),
    Column("kind", "类型", True, ("单位类型",), "企业"),
    Column("credit_code", "统一社会信用代码", False, ("信用代码", "社会信用代码"), "91350100M000100Y43"),
    Column("contact", "联系人", False, ("负责人",), "李明"),
    Column("phone", "联系电话", False, ("电话",), "0593-5521234"),
    Column("address", "地址", False, ("经营地址", "住所"), "鳌阳路1号"),
]
LEDGERS = {"persons": (COLUMNS, "人员台账"), "organisations": (ORG_COLUMNS, "单位台账")}
ORG_KINDS = {
    "驻区单位": "institution",
    "个体工商户": "individual_business",
    "个体户": "individual_business",
    "企业": "enterprise",
    "学校": "school",
    "医院": "hospital",
    "卫生院": "hospital",
}


def template_xlsx(kind: str = "persons") -> bytes:
    columns, sheet = LEDGERS[kind]
    headers = [c.header + ("*" if c.required else "") for c in columns]
    return write_workbook(headers, [[c.example for c in columns]], sheet=sheet)


def read_ledger(content: bytes, kind: str = "persons") -> Table:
    """The ledger's table wherever the clerk put it: the sheet and row naming the most of this kind's
    column headers (title rows, a fill-in line and notes sheets are passed over)."""
    columns = LEDGERS[kind][0]
    return read_table(content, [name for c in columns for name in (c.header, *c.aliases)])


def header_signature(header: list[str]) -> str:
    """The same for two files whose header names are the same (spaces and * aside)."""
    return hashlib.sha256("\x1f".join(header_name(h) for h in header).encode()).hexdigest()


def mapping_for(user, kind: str, header: list[str]) -> dict[str, int]:
    """The mapping this user gave a file with these headers before, or else the automatic one."""
    saved = SavedMapping.objects.filter(user=user, kind=kind, signature=header_signature(header)).first()
    if saved is not None and all(0 <= i < len(header) for i in saved.mapping.values()):
        return {f: int(i) for f, i in saved.mapping.items()}
    return auto_mapping(header, LEDGERS[kind][0])


def remember_mapping(user, kind: str, header: list[str], mapping: dict[str, int]) -> None:
    SavedMapping.objects.update_or_create(
        user=user, kind=kind, signature=header_signature(header), defaults={"mapping": mapping}
    )


def auto_mapping(headers: list[str], columns: list[Column] = COLUMNS) -> dict[str, int]:
    """Field -> column index, from the header names (template names, common aliases, a trailing *)."""
    mapping: dict[str, int] = {}
    clean = [header_name(h) for h in headers]
    for c in columns:
        for name in (c.header, *c.aliases):
            if name in clean:
                mapping[c.field] = clean.index(name)
                break
    return mapping


def missing_required(mapping: dict[str, int], columns: list[Column] = COLUMNS) -> list[str]:
    return [c.header for c in columns if c.required and c.field not in mapping]


def _choice(label_map: dict[str, str], raw: str) -> str | None:
    """The value a label stands for; the value itself is accepted too (head for 户主)."""
    raw = raw.strip()
    if not raw:
        return ""
    found = label_map.get(raw)  # the common case: one lookup (this runs three times a row)
    if found is None and raw in label_map.values():
        return raw
    return found


# Chinese labels as ledgers write them (fixed here, not taken from the translated choices); relations,
# ethnic groups and sexes by the national standards (`vocabularies`).
EXCEL_NUMBER_ID = (
    "证件号码被 Excel 存成了数字，后几位已经丢失（Excel 只保留 15 位有效数字）："
    "请把这一列设为“文本”格式，重新填写号码后再上传"
)
RELATION_LABELS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "other": "其他",
}
DOC_TYPES = {
    "居民身份证": "citizen_id",
    "身份证": "citizen_id",
    "护照": "passport",
    "港澳居民来往内地通行证": "hk_macao_permit",
    "港澳通行证": "hk_macao_permit",
    "台湾居民来往大陆通行证": "taiwan_permit",
    "台胞证": "taiwan_permit",
}
RESIDENCES = {
    "户籍户": "registered",
    "户籍": "registered",
    "常住户": "resident",
    "常住": "resident",
    "流动户": "floating",
    "流动": "floating",
}


@dataclass
class PreparedRow:
    row: int
    grid_id: int
    household_number: str
    address: str
    residence: str
    person: dict
    groups: list[int]
    relation_written: bool = True
    person_id: int | None = None  # a monthly refresh: the archive's person this row updates
    changes: dict = field(default_factory=dict)  # and what it changes (ledger_refresh)


@dataclass(frozen=True)
class Cleaned:
    """A value tidied on the way in (汉 → 汉族): stored clean, and listed so that nothing changes unseen."""

    row: int
    column: str
    header: str
    before: str
    after: str


@dataclass(frozen=True)
class SetAside:
    """A row the clerk hid or struck through."""

    row: int
    why: str  # "hidden" / "struck"
    name: str


@dataclass
class UnknownTag:
    """A special group the ledger names and the scene does not know: one question, not an error a row."""

    name: str
    rows: list[int] = field(default_factory=list)


@dataclass
class LedgerReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    households_new: int = 0
    persons: int = 0
    committed: bool = False
    mapping: dict[str, int] = field(default_factory=dict)
    header_row: int = 1  # the Excel row taken as the header, and its sheet
    sheet: str = ""
    cleaned: list[Cleaned] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    set_aside_included: bool = False
    refresh: ledger_refresh.Refresh | None = None  # a monthly refresh: what it changes, who is missing
    mark_missing: bool = False  # and the missing are marked moved out on commit
    unknown_tags: list[UnknownTag] = field(default_factory=list)
    moved_out: int = 0

    @property
    def persons_new(self) -> int:
        return self.persons - (
            0 if self.refresh is None else len(self.refresh.changes) + self.refresh.unchanged
        )

    @property
    def ok(self) -> bool:
        return not self.errors


def cleaned_summary(report: LedgerReport, rows_shown: int = 20) -> list[dict]:
    """The tidied values, one line per kind of change (column, before, after) with how many cells and
    the first rows: a ledger of 2,000 people that writes 汉 throughout is one line, not 2,000."""
    groups: dict[tuple[str, str, str, str], dict] = {}
    for c in report.cleaned:
        g = groups.setdefault(
            (c.column, c.header, c.before, c.after),
            {
                "column": c.column,
                "header": c.header,
                "before": c.before,
                "after": c.after,
                "count": 0,
                "rows": [],
            },
        )
        g["count"] += 1
        if len(g["rows"]) < rows_shown:
            g["rows"].append(c.row)
    return sorted(groups.values(), key=lambda g: (g["column"], -g["count"]))


def _text(value) -> str:
    if type(value) is str:  # the common case first: this runs for every cell of every row
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return str(value).strip()


def _grids_for(texts, user) -> tuple[dict[str, Grid], dict[str, str]]:
    """The open grids a ledger names (by code, name or names down the tree) that the importing user may
    write to, by what the ledger wrote; and, for the others, what is wrong (Chinese)."""
    among = grids_service.active_grids().filter(valid_to__isnull=True)
    if user is not None:
        among = jurisdiction.visible(among, user, grid_field="")
    named = grids_service.grids_named(texts, among)
    found = {t: n.grid for t, n in named.items() if n.grid is not None}
    return found, {t: n.problem for t, n in named.items() if n.grid is None}


@dataclass
class _Sheet:
    """What every ledger check shares: the columns, their mapping, the report, errors by row and column."""

    columns: list[Column]
    mapping: dict[str, int]
    report: LedgerReport
    header: list[str]

    @classmethod
    def open(cls, header, body, columns, mapping):
        mapping = mapping if mapping is not None else auto_mapping(header, columns)
        sheet = cls(columns, mapping, LedgerReport(rows=len(body), mapping=mapping), header)
        missing = missing_required(mapping, columns)
        if missing:
            sheet.report.errors.append(
                RowError(1, "", "、".join(missing), "缺少必填列（请用模板的表头名称，或指定列对应关系）")
            )
        return sheet

    def err(self, row: int, f: str, message: str) -> None:
        """An error at the row and the field's column, named by the sheet's own header (公民身份号码,
        not the template's 证件号码), so the clerk finds it in their file."""
        i = self.mapping.get(f)
        own = self.header[i].strip() if i is not None and i < len(self.header) else ""
        header = own or next(c.header for c in self.columns if c.field == f)
        self.report.errors.append(RowError(row, column_letter(i) if i is not None else "", header, message))

    def clean(self, row: int, f: str, before: str, after: str) -> None:
        i = self.mapping[f]
        header = self.header[i].strip() if i < len(self.header) else f
        self.report.cleaned.append(Cleaned(row, column_letter(i), header, before, after))

    def cell(self, values: list, f: str) -> str:
        i = self.mapping.get(f)
        return _text(values[i]) if i is not None and i < len(values) else ""

    def finish(self, prepared: list) -> tuple[LedgerReport, list]:
        self.report.errors.sort(key=lambda e: (e.row, e.column))
        self.report.persons = len(prepared)
        return self.report, ([] if self.report.errors else prepared)


def _date(value) -> date | None | str:
    """A date from an Excel cell: a date; an Excel day number (18326); a number or text like 19500304;
    text like 1950-03-04, 1950/3/4, 1950.3.4 or 1950年3月4日. "bad" if none of them."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and float(value).is_integer():
        moment = excel_serial_moment(value)  # a date cell that lost its date format
        if moment is not None:
            return moment.date()
    text = _text(value).translate(FULL_WIDTH)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y年%m月%d号"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return "bad"


# Full-width digits, letters and the ideographic space as their ASCII selves; full-width Chinese
# punctuation (，（）) stays, as Chinese writes it.
FULL_WIDTH = (
    {0xFF10 + i: 0x30 + i for i in range(10)}
    | {0xFF21 + i: 0x41 + i for i in range(26)}
    | {0xFF41 + i: 0x61 + i for i in range(26)}
    | {0x3000: 0x20}
)
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_SPACE_RUN = re.compile(r"\s+")
_UNTIDY = re.compile(r"[\s\uff10-\uff5a]")  # whitespace inside (ends are stripped) or a full-width letter
_WORD_BREAK = re.compile(r"(?<=[A-Za-z])\s*[\r\n]+\s*(?=[A-Za-z])")  # a line break between two words
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")  # any other: the cell was only wrapped


def tidy(value) -> str:
    """A text cell as it should be stored: full-width digits and letters as ASCII, no line breaks (an
    address wrapped over two lines; between two words, a space), no spaces between Chinese characters
    (张　三), single spaces elsewhere (a foreign name), none at the ends."""
    text = _text(value)
    if not _UNTIDY.search(text):
        return text  # the common case (runs for four cells of every row), at once
    text = _LINE_BREAK.sub("", _WORD_BREAK.sub(" ", text.translate(FULL_WIDTH)))
    return _SPACE_RUN.sub(" ", _CJK_GAP.sub("", text)).strip()


def _as_written(value) -> str:
    """The cell as the clerk sees it, for the list of what was tidied."""
    return value if isinstance(value, str) else _text(value)


def _pad_rows(rows: list[list], header: list[str], mapping: dict[str, int]) -> int:
    """Give every row (in place) one empty cell past the mapped columns and return its index: unmapped
    fields point at it, so the check reads a cell with plain indexing (it runs for every cell of
    100,000 rows)."""
    width = max([len(header), *(i + 1 for i in mapping.values())])
    for r in rows:
        if len(r) <= width:
            r.extend([None] * (width + 1 - len(r)))
        else:
            r[width] = None  # past the header and every mapped column: nothing is read from it
    return width


def _group_keys() -> dict[str, int]:
    """A special group by its Chinese name, its key, or a name a clerk mapped to it (GroupAlias)."""
    groups = list(SpecialGroup.objects.all())
    aliases = dict(GroupAlias.objects.values_list("name", "group_id"))
    return aliases | {g.name: g.pk for g in groups} | {g.key: g.pk for g in groups}


def _unknown_tag_errors(unknown: dict[str, UnknownTag], err: Callable[[int, str, str], None]) -> None:
    for tag in unknown.values():
        listed = "、".join(str(r) for r in tag.rows[:10]) + ("…" if len(tag.rows) > 10 else "")
        err(
            tag.rows[0],
            "groups",
            f"未知的人群类别：{tag.name}（第 {listed} 行，共 {len(tag.rows)} 行）："
            "请在检查结果中把它对应到已有类别、新增为类别或不导入这个标签",
        )


def check_ledger(
    header: list[str],
    body: list[list],
    *,
    mapping: dict[str, int] | None = None,
    user=None,
    progress: Callable[[int, int], None] | None = None,
    first_row: int = 2,
    set_aside: dict[int, str] | None = None,
    refresh: bool = False,
    skip_tags: frozenset[str] = frozenset(),
) -> tuple[LedgerReport, list[PreparedRow]]:
    """Validate every row (numbered from `first_row`, the Excel row below the header); return the report
    and, when there are no errors, the rows ready to write. Empty rows are passed over; tags of
    `skip_tags` too (the clerk said they are no special group). With `refresh`,
    a person the archive holds is matched and updated (ledger_refresh), not refused."""
    sheet = _Sheet.open(header, body, COLUMNS, mapping)
    report, errors, err, mapping = sheet.report, sheet.report.errors, sheet.err, sheet.mapping
    clean = sheet.clean
    if errors:
        return report, []
    rows = body
    blank = _pad_rows(rows, header, mapping)
    col = {c.field: mapping.get(c.field, blank) for c in COLUMNS}
    i_grid, i_hh, i_addr, i_res, i_name = (
        col[f] for f in ("grid_code", "household_number", "address", "residence", "name")
    )
    i_doc, i_id, i_rel, i_phone, i_born, i_sex, i_eth, i_groups = (
        col[f]
        for f in ("doc_type", "id_number", "relation", "phone", "birth_date", "sex", "ethnicity", "groups")
    )
    plain = ("education", "occupation", "employer", "chronic_illness", "disability_grade", "political_status")
    more_mapped = any(f in mapping for f in MORE_UNMAPPED)
    i_plain = [(f, col[f]) for f in plain if f in mapping]
    unmapped_plain = dict.fromkeys((f for f in plain if f not in mapping), "")
    has_doc_type = "doc_type" in mapping

    grids, grid_problems = _grids_for({_text(v[i_grid]) for v in rows}, user)
    grid_pk = {c: g.pk for c, g in grids.items()}
    groups = _group_keys()
    unknown_tags: dict[str, UnknownTag] = {}
    prepared: list[PreparedRow] = []
    seen_ids: dict[str, int] = {}
    hh_grid: dict[str, tuple[str, int]] = {}
    household_rows: dict[str, list[tuple[int, bool]]] = {}  # number -> (row, is the head) of each member
    today = date.today()
    split_groups = re.compile(r"[、,，;；\s]+").split
    total = len(rows)
    id_column = column_letter(mapping["id_number"]) if "id_number" in mapping else ""
    aside = set_aside or {}
    for n, values in enumerate(rows, start=first_row):
        if progress and n % 2000 == 0:
            progress(n - first_row + 1, total)
        if aside and n in aside:  # hidden or struck through: listed, not imported unless asked
            report.set_aside.append(SetAside(n, aside[n], _text(values[i_name])))
            continue
        row_errors_before = len(errors)
        name_cell = values[i_name]
        name = tidy(name_cell)
        if name and name != name_cell:
            clean(n, "name", _as_written(name_cell), name)
        if not name:
            if all(v is None or v == "" for v in values):
                continue  # a blank row between households
            err(n, "name", "缺少姓名")
        code = _text(values[i_grid])
        if not code:
            err(n, "grid_code", "缺少网格编码")
        elif code not in grid_pk:
            err(n, "grid_code", grid_problems[code])
        number = tidy(values[i_hh])
        if number and type(values[i_hh]) is str and number != values[i_hh]:
            clean(n, "household_number", values[i_hh], number)
        if not number:
            err(n, "household_number", "缺少户号")
        elif code in grid_pk:
            first = hh_grid.setdefault(number, (code, n))
            if grid_pk.get(first[0]) != grid_pk[code]:
                err(n, "grid_code", f"户号 {number} 在第 {first[1]} 行属于网格 {first[0]}，本行却是 {code}")
        doc_type = "citizen_id"
        if has_doc_type:
            chosen = _choice(DOC_TYPES, _text(values[i_doc]))
            if chosen is None:
                err(n, "doc_type", f"未知的证件类型：{_text(values[i_doc])}")
            doc_type = chosen or "citizen_id"
        id_cell = values[i_id]
        id_raw = tidy(id_cell).replace(" ", "").upper()
        if id_raw and type(id_cell) is str and id_raw != id_cell:
            clean(n, "id_number", id_cell, id_raw)
        info = None
        if type(id_cell) is float or type(id_cell) is int:
            if id_cell >= 1e15:  # past 15 significant digits Excel has already changed the last ones
                err(n, "id_number", EXCEL_NUMBER_ID)
                id_raw = ""
        if doc_type == "citizen_id" and len(id_raw) == 15:
            upgraded = upgrade_citizen_id(id_raw)
            if upgraded is not None:  # shown for the clerk to confirm
                clean(n, "id_number", id_raw, upgraded)
                id_raw = upgraded
        if id_raw:
            try:
                info = parse_document(doc_type, id_raw, today=today)
            except IdError as exc:
                err(n, "id_number", str(exc))
            else:
                if info.number in seen_ids:
                    err(n, "id_number", f"证件号码与第 {seen_ids[info.number]} 行重复")
                    info = None  # another person's number: this row's birth date and sex say nothing to it
                else:
                    seen_ids[info.number] = n
        relation_raw = _text(values[i_rel])
        relation = _choice(RELATIONS, relation_raw)
        if relation is None:
            err(
                n,
                "relation",
                f"未知的与户主关系：{relation_raw}（按 GB/T 4761 填写，如户主、配偶、子、女、父亲、孙女）",
            )
        elif relation_raw and RELATION_LABELS[relation] != relation_raw:
            clean(n, "relation", relation_raw, RELATION_LABELS[relation])
        if number:
            household_rows.setdefault(number, []).append((n, relation == "head"))
        more = _more_fields(n, values, col, err, clean) if more_mapped else MORE_UNMAPPED
        residence_raw = _text(values[i_res])
        residence = _choice(RESIDENCES, residence_raw)
        if residence is None:
            err(n, "residence", f"未知的户别：{residence_raw}")
        elif not residence:  # a new household is what its first row's person is (流动人口: 流动户)
            residence = POPULATION_RESIDENCE.get(str(more["population_type"]), "")
        sex_raw = _text(values[i_sex])
        sex = _choice(SEXES, sex_raw)
        if sex is None:
            err(n, "sex", f"性别应为男或女（也可填 1、2 或 M、F），不是“{sex_raw}”")
        elif sex and sex_raw != SEX_LABELS[sex]:
            clean(n, "sex", sex_raw, SEX_LABELS[sex])
        ethnicity_raw = _text(values[i_eth])
        nation = ethnicity(ethnicity_raw) if ethnicity_raw else ""
        if nation is None:
            err(n, "ethnicity", f"未知的民族：{ethnicity_raw}（按 GB/T 3304 填写，如汉族、畲族）")
        elif nation != ethnicity_raw:
            clean(n, "ethnicity", ethnicity_raw, nation)
        born_cell = values[i_born]
        born = _date(born_cell)
        if born == "bad":
            err(n, "birth_date", f"“{_text(born_cell)}”不是日期（如 1950-03-04）")
            born = None
        elif (
            isinstance(born, date)
            and not isinstance(born_cell, date)
            and _text(born_cell) != born.isoformat()
        ):
            clean(n, "birth_date", _text(born_cell), born.isoformat())
        if info is not None and info.birth_date:
            if isinstance(born, date) and born != info.birth_date:
                err(n, "birth_date", f"出生日期 {born.isoformat()} 与 {id_column} 列证件号码中的 "
                    f"{info.birth_date.isoformat()} 不一致")  # fmt: skip
            if sex and info.sex and sex != info.sex:
                err(
                    n,
                    "sex",
                    f"性别“{SEX_LABELS[sex]}”与 {id_column} 列证件号码（{SEX_LABELS[info.sex]}）不一致",
                )
        phone = _text(values[i_phone])
        if phone:
            try:
                dialled = parse_phone(phone)
            except IdError as exc:
                err(n, "phone", str(exc))
            else:
                if dialled != phone:
                    clean(n, "phone", phone, dialled)
                phone = dialled
        group_ids = []
        groups_raw = _text(values[i_groups])
        if groups_raw:
            for g in split_groups(groups_raw):
                if not g or g in skip_tags:
                    continue
                if g not in groups:
                    unknown_tags.setdefault(g, UnknownTag(g)).rows.append(n)
                else:
                    group_ids.append(groups[g])
        if len(errors) == row_errors_before:
            person: dict[str, object] = {
                "name": name,
                "doc_type": doc_type,
                "id_number": info.number if info else "",
                "id_index": None,  # both blind indexes: below, a column at a time
                "birth_date": info.birth_date if info and info.birth_date else born,
                "sex": (info.sex if info and info.sex else sex) or "",
                "phone": phone,
                "phone_index": "",
                "relation": relation or "other",
                "ethnicity": nation,
                **unmapped_plain,
            }
            for f, i in i_plain:
                person[f] = _text(values[i])
            person.update(more)
            address_cell = values[i_addr]
            address = tidy(address_cell)
            if address != _text(address_cell):
                clean(n, "address", _as_written(address_cell), address)
            prepared.append(
                PreparedRow(
                    n,
                    grid_pk[code],
                    number,
                    address,
                    residence or "registered",
                    person,
                    group_ids,
                    relation_written=bool(relation_raw),
                )
            )
    id_index = dict(zip(seen_ids.values(), crypto.blind_index_many(list(seen_ids)), strict=True))
    phone_indexes = crypto.blind_index_many([str(p.person["phone"]) for p in prepared])
    for p, phone_index in zip(prepared, phone_indexes, strict=True):
        p.person["id_index"] = id_index.get(p.row)
        p.person["phone_index"] = phone_index or ""
    _unknown_tag_errors(unknown_tags, err)
    report.unknown_tags = list(unknown_tags.values())
    in_archive = {
        number for (number,) in bulk.rows_where_in(Household, "number", household_rows, ("number",))
    }
    if "relation" in mapping:  # a ledger without the column says nothing of who heads a household
        _check_heads(household_rows, in_archive, err)
    report.households_new = len({p.household_number for p in prepared} - in_archive)
    report.persons = len(prepared)
    if refresh:
        report.refresh = ledger_refresh.match(prepared, mapping, user, err)
    errors.extend(_archive_conflicts(prepared, mapping))
    errors.sort(key=lambda e: (e.row, e.column))
    return report, ([] if errors else prepared)


MORE_UNMAPPED: dict[str, object] = {
    "population_type": "",
    "marital_status": "",
    "registered_address": "",
    "registered_on": None,
    "note": "",
}
POPULATION_RESIDENCE = {"registered": "registered", "floating": "floating", "overseas": "floating"}


def _more_fields(n: int, values: list, col: dict[str, int], err, clean) -> dict:
    """人口类型, 婚姻状况 (GB/T 2261.2), 户籍地址, 登记日期 and 备注 of one row, checked and tidied: stored,
    not dropped."""
    out: dict[str, object] = dict(MORE_UNMAPPED)
    for f, vocabulary, labels, what in (
        ("population_type", POPULATION_TYPES, POPULATION_LABELS, "人口类型"),
        ("marital_status", MARITAL_STATUSES, MARITAL_LABELS, "婚姻状况"),
    ):
        raw = _text(values[col[f]])
        value = _choice(vocabulary, raw)
        if value is None:
            err(n, f, f"未知的{what}：{raw}（可填：{'、'.join(labels.values())}）")
        else:
            out[f] = value
            if value and labels[value] != raw:
                clean(n, f, raw, labels[value])
    cell = values[col["registered_address"]]
    out["registered_address"] = tidy(cell)
    if out["registered_address"] != _text(cell):
        clean(n, "registered_address", _as_written(cell), out["registered_address"])
    cell = values[col["registered_on"]]
    on = _date(cell)
    if on == "bad":
        err(n, "registered_on", f"“{_text(cell)}”不是日期（如 2024-03-05）")
    elif isinstance(on, date):
        out["registered_on"] = on
        if not isinstance(cell, date) and _text(cell) != on.isoformat():
            clean(n, "registered_on", _text(cell), on.isoformat())
    out["note"] = _text(values[col["note"]])[:500]
    return out


def _check_heads(
    household_rows: dict[str, list[tuple[int, bool]]],
    in_archive: set[str],
    err: Callable[[int, str, str], None],
) -> None:
    """A new household has exactly one head: none is an error on each of its rows, two or more on each
    head's row. (A household the archive holds already has its head; these rows add members to it.)"""
    for number, rows in household_rows.items():
        if number in in_archive:
            continue
        heads = [n for n, is_head in rows if is_head]
        if not heads:
            for n, _is_head in rows:
                err(n, "relation", f"户号 {number} 没有户主：请在该户一人的“与户主关系”填“户主”")
        elif len(heads) > 1:
            listed = "、".join(str(n) for n in heads)
            for n in heads:
                err(
                    n,
                    "relation",
                    f"户号 {number} 有 {len(heads)} 位户主（第 {listed} 行），一户只能有一位户主",
                )


def _archive_conflicts(prepared: list[PreparedRow], mapping: dict[str, int]) -> list[RowError]:
    """What the archive already holds that these rows would clash with: an ID number registered
    (through the blind index) or a household number in another grid."""
    out = []
    id_column = column_letter(mapping["id_number"]) if "id_number" in mapping else ""
    by_index = {p.person["id_index"]: p.row for p in prepared if p.person["id_index"] and p.person_id is None}
    for (idx,) in bulk.rows_where_in(Person, "id_index", by_index, ("id_index",)):
        out.append(RowError(by_index[idx], id_column, "证件号码", "该证件号已在档案中登记"))
    grid_of = dict(
        bulk.rows_where_in(Household, "number", {p.household_number for p in prepared}, ("number", "grid_id"))
    )
    hh_column = column_letter(mapping["household_number"])
    for p in prepared:
        old = grid_of.get(p.household_number)
        if old is not None and old != p.grid_id:
            out.append(
                RowError(p.row, hh_column, "户号", f"户号 {p.household_number} 已在系统中属于其他网格")
            )
    return out


def recheck(prepared: list[PreparedRow], report: LedgerReport, user=None) -> LedgerReport:
    """Before committing rows checked earlier (a dry run): what may have changed since. The rows'
    grids must still be open and within the user's jurisdiction. Whether the archive gained one of
    their ID numbers or household numbers in the meantime is left to the commit itself (the unique
    ID index, the household lookup), which reports it through `_commit_or_report`; when a grid fails
    here, those are looked up too, so that one report names every problem."""

    mapping = report.mapping
    codes = dict(Grid.objects.filter(pk__in={p.grid_id for p in prepared}).values_list("pk", "code"))
    grids, _problems = _grids_for(set(codes.values()), user)
    col = column_letter(mapping["grid_code"])
    for p in prepared:
        code = codes.get(p.grid_id, "")
        if code not in grids or grids[code].pk != p.grid_id:
            report.errors.append(RowError(p.row, col, "网格编码", f"网格编码 {code} 已停用或不在您的辖区内"))
    if report.errors:
        report.errors.extend(_archive_conflicts(prepared, mapping))
        report.errors.sort(key=lambda e: (e.row, e.column))
    return report


class ArchiveChanged(Exception):
    """The archive gained, after the check, a household number of the ledger in another grid."""


def _commit_or_report(prepared: list[PreparedRow], report: LedgerReport, user) -> None:
    """Commit; when the archive gained one of the rows' ID numbers or household numbers since they were
    checked (another import, a worker registering someone), nothing is written and the report names the
    rows. Looking the 100,000 keys up again before every commit cost 0.6 s (measured); the unique index
    refuses the same rows for nothing."""
    try:
        commit_ledger(prepared, report, by=user)
    except (IntegrityError, ArchiveChanged):
        conflicts = _archive_conflicts(prepared, report.mapping)
        if not conflicts:
            raise
        report.errors.extend(conflicts)
        report.errors.sort(key=lambda e: (e.row, e.column))


@transaction.atomic
def commit_ledger(prepared: list[PreparedRow], report: LedgerReport, *, by=None) -> LedgerReport:
    """Write every row at once: new houses and households, persons, group memberships.

    Raw bulk inserts of plain tuples (executemany on SQLite, COPY on PostgreSQL) with primary keys
    reserved beforehand: the ORM's bulk_create spent 25 s preparing 100,000 rows of 23 fields (measured).
    """
    stamp = _Stamp.taken()
    households = _existing_households(prepared)
    new = _new_households(prepared, households)
    everyone, prepared = prepared, [p for p in prepared if p.person_id is None]  # the refresh's: below
    person_ids = bulk.reserve_ids(Person, len(prepared))
    households.update(zip(new, bulk.reserve_ids(Household, len(new)), strict=True))
    heads: dict[str, int] = {}  # the first head of each new household, as the old one-by-one path chose
    for p, pk in zip(prepared, person_ids, strict=True):
        if p.person["relation"] == "head" and p.household_number in new:
            heads.setdefault(p.household_number, pk)
    _insert_households(new, households, heads, stamp)
    _insert_persons(prepared, person_ids, households, stamp)
    bulk.insert_rows(
        GroupMembership,
        ("person_id", "group_id", "start", "source", "note", "created", "last_updated"),
        [
            (pk, g, stamp.today, GroupMembership.Source.IMPORT.value, "", stamp.now, stamp.now)
            for pk, p in zip(person_ids, prepared, strict=True)
            for g in p.groups
        ],
    )
    audit.record(
        audit.Action.IMPORT,
        actor=by,
        object_type="registry.person",
        object_repr=f"导入人员台账 {len(prepared)} 人",
        detail={"persons": len(prepared), "households": len(new)},
    )
    signals.tell({households[p.household_number] for p in prepared}, bulk=True)
    if report.refresh is not None:
        missing = [m.person_id for m in report.refresh.missing] if report.mark_missing else []
        _changed, report.moved_out = ledger_refresh.apply(everyone, by=by, mark_missing=missing)
    report.committed = True
    return report


@dataclass(frozen=True)
class _Stamp:
    """The commit's time and date, as the database takes them in a raw insert."""

    now: object
    today: object

    @classmethod
    def taken(cls) -> _Stamp:
        ops = connection.ops
        return cls(ops.adapt_datetimefield_value(timezone.now()), ops.adapt_datefield_value(date.today()))


def _existing_households(prepared: list[PreparedRow]) -> dict[str, int]:
    """Household number -> id of the households the archive holds already, each in the row's grid."""
    households: dict[str, int] = {}
    grid_of = {p.household_number: p.grid_id for p in prepared}
    for number, pk, grid_id in bulk.rows_where_in(Household, "number", grid_of, ("number", "id", "grid_id")):
        if grid_of[number] != grid_id:
            raise ArchiveChanged(number)
        households[number] = pk
    return households


def _new_households(prepared: list[PreparedRow], existing: dict[str, int]) -> dict[str, tuple[int, str, str]]:
    """New household number -> (grid id, address, residence) of its first row: plain tuples, not models."""
    new: dict[str, tuple[int, str, str]] = {}
    for p in prepared:
        if p.household_number not in existing and p.household_number not in new:
            new[p.household_number] = (p.grid_id, p.address or p.household_number, p.residence)
    return new


def _insert_households(
    new: dict[str, tuple[int, str, str]], households: dict[str, int], heads: dict[str, int], stamp: _Stamp
) -> None:
    """A house for each new household (at the ledger's address), the household, and its first grid."""
    house_ids = bulk.reserve_ids(House, len(new))
    now = stamp.now
    bulk.insert_rows(
        House,
        ("id", "grid_id", "address", "room", "use", "created", "last_updated"),
        [(h, g, a, "", "own", now, now) for h, (g, a, _r) in zip(house_ids, new.values(), strict=True)],
    )
    bulk.insert_records(
        Household,
        [
            {
                "id": households[n],
                "grid_id": g,
                "house_id": h,
                "head_id": heads.get(n),
                "number": n,
                "residence": r,
                "phone": "",
                "phone_index": "",
                "active": True,
                "created": now,
                "last_updated": now,
            }
            for h, (n, (g, _a, r)) in zip(house_ids, new.items(), strict=True)
        ],
    )
    bulk.insert_rows(
        HouseholdGridHistory,
        ("household_id", "grid_id", "house_address", "valid_from"),
        [(households[n], g, a, stamp.today) for n, (g, a, _r) in new.items()],
    )


def _insert_persons(
    prepared: list[PreparedRow], person_ids: list[int], households: dict[str, int], stamp: _Stamp
) -> None:
    """Every row's person, its ID number and phone encrypted in one pass each."""
    id_cipher = crypto.encrypt_many([p.person["id_number"] for p in prepared])
    phone_cipher = crypto.encrypt_many([p.person["phone"] for p in prepared])
    registered_cipher = crypto.encrypt_many([p.person["registered_address"] for p in prepared])
    adapt_date = connection.ops.adapt_datefield_value
    active = Person.Status.ACTIVE.value
    values = []
    ciphers = zip(person_ids, prepared, id_cipher, phone_cipher, registered_cipher, strict=True)
    for pk, p, id_number, phone, registered_address in ciphers:
        d = p.person
        values.append(
            {
                "id": pk,
                "grid_id": p.grid_id,
                "household_id": households[p.household_number],
                "name": d["name"],
                "doc_type": d["doc_type"],
                "id_number": id_number or "",
                "id_index": d["id_index"],
                "birth_date": adapt_date(d["birth_date"]),
                "sex": d["sex"],
                "phone": phone or "",
                "phone_index": d["phone_index"],
                "address": "",
                "relation": d["relation"],
                "ethnicity": d["ethnicity"],
                "education": d["education"],
                "occupation": d["occupation"],
                "employer": d["employer"],
                "chronic_illness": d["chronic_illness"],
                "disability_grade": d["disability_grade"],
                "political_status": d["political_status"],
                "population_type": d["population_type"],
                "marital_status": d["marital_status"],
                "registered_address": registered_address or "",
                "note": d["note"],
                "status": active,
                "client_id": None,
                "created": stamp.now,
                "last_updated": stamp.now,
                "registered_on": adapt_date(d["registered_on"]) if d["registered_on"] else stamp.today,
            }
        )
    bulk.insert_records(Person, values)


def check_organisations(
    header: list[str],
    body: list[list],
    *,
    mapping: dict[str, int] | None = None,
    user=None,
    first_row: int = 2,
) -> tuple[LedgerReport, list[dict]]:
    """Validate an organisation ledger: grid, name, kind, credit code (check digit, duplicates), phone."""

    sheet = _Sheet.open(header, body, ORG_COLUMNS, mapping)
    if sheet.report.errors:
        return sheet.report, []
    report, err, cell = sheet.report, sheet.err, sheet.cell
    grids, grid_problems = _grids_for({cell(v, "grid_code") for v in body}, user)
    seen: dict[str, int] = {}
    prepared = []
    for n, values in enumerate(body, start=first_row):
        before = len(report.errors)
        code = cell(values, "grid_code")
        if code not in grids:
            err(n, "grid_code", grid_problems.get(code) or "缺少网格编码")
        name = cell(values, "name")
        if not name:
            err(n, "name", "缺少名称")
        kind_raw = cell(values, "kind")
        kind = ORG_KINDS.get(kind_raw) or (kind_raw if kind_raw in ORG_KINDS.values() else None)
        if kind is None:
            err(n, "kind", f"未知的单位类型：{kind_raw}（可填：{'、'.join(ORG_KINDS)}）")
        credit = cell(values, "credit_code")
        if credit:
            try:
                credit = check_credit_code(credit)
            except IdError as exc:
                err(n, "credit_code", str(exc))
            else:
                if credit in seen:
                    err(n, "credit_code", f"统一社会信用代码与第 {seen[credit]} 行重复")
                seen.setdefault(credit, n)
        phone = re.sub(r"[\s-]", "", cell(values, "phone"))
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            err(n, "phone", f"电话号码格式不正确：{cell(values, 'phone')}")
        if len(report.errors) == before:
            prepared.append(
                {
                    "grid": grids[code],
                    "name": name,
                    "kind": kind,
                    "credit_code": credit or None,
                    "contact": cell(values, "contact"),
                    "phone": phone,
                    "address": cell(values, "address"),
                }
            )
    taken = Organisation.objects.filter(credit_code__in=list(seen)).values_list("credit_code", flat=True)
    for code in taken:
        report.errors.append(
            RowError(
                seen[code or ""],
                column_letter(sheet.mapping["credit_code"]),
                "统一社会信用代码",
                "该统一社会信用代码已登记",
            )
        )
    return sheet.finish(prepared)


@transaction.atomic
def commit_organisations(prepared: list[dict], report: LedgerReport, *, by=None) -> LedgerReport:
    Organisation.objects.bulk_create([Organisation(**p) for p in prepared])
    audit.record(
        audit.Action.IMPORT,
        actor=by,
        object_type="registry.organisation",
        object_repr=f"导入单位台账 {len(prepared)} 家",
        detail={"organisations": len(prepared)},
    )
    report.committed = True
    return report


HOUSE_COLUMNS = [
    Column("grid_code", "网格编码", True, ("网格", "所属网格编码"), "350924001001001001"),
    Column("address", "地址", True, ("房屋地址", "门牌地址"), "胜利街12号2单元301室"),
    Column("building", "楼栋", False, ("楼栋名称", "楼号"), "2栋"),
    Column("room", "房号", False, ("室号",), "2-301"),
    Column("use", "用途", False, ("房屋用途",), "自住"),
    Column("area", "面积", False, ("建筑面积", "面积（平方米）"), "86.5"),
    Column("lon", "经度", False, (), "119.5105"),
    Column("lat", "纬度", False, (), "27.4600"),
    Column("hazards", "隐患", False, ("房屋隐患",), "电路老化、危房C"),
]
LEDGERS["houses"] = (HOUSE_COLUMNS, "房屋台账")
HOUSE_USES = {"自住": "own", "出租": "rented", "空置": "vacant", "经营": "business"}
HAZARD_KINDS = {
    "电路老化": "old_wiring",
    "危房": "dangerous_building",
    "违建": "illegal_construction",
    "消防隐患": "fire",
    "燃气隐患": "gas",
}


def check_houses(
    header: list[str],
    body: list[list],
    *,
    mapping: dict[str, int] | None = None,
    user=None,
    first_row: int = 2,
) -> tuple[LedgerReport, list[dict]]:
    """Validate a house ledger: grid, address (no duplicates), use, area, point inside the grid, hazards."""

    sheet = _Sheet.open(header, body, HOUSE_COLUMNS, mapping)
    if sheet.report.errors:
        return sheet.report, []
    report, err, cell = sheet.report, sheet.err, sheet.cell

    def number(r: int, f: str, raw: str, low: float, high: float) -> float | None:
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            err(r, f, f"“{raw}”不是数字")
            return None
        if not low <= value <= high:
            err(r, f, f"{raw} 超出范围（{low}–{high}）")
            return None
        return value

    grids, grid_problems = _grids_for({cell(v, "grid_code") for v in body}, user)
    shapes = {c: shapely.geometry.shape(g.boundary) for c, g in grids.items() if g.boundary}
    codes_of = {g.pk: g.code for g in grids.values()}
    existing = {
        (codes_of[grid_id], address)
        for grid_id, address in House.objects.filter(grid__in=list(grids.values())).values_list(
            "grid_id", "address"
        )
    }
    seen: dict[tuple[str, str], int] = {}
    prepared = []
    for n, values in enumerate(body, start=first_row):
        before = len(report.errors)
        code, address = cell(values, "grid_code"), cell(values, "address")
        if code not in grids:
            err(n, "grid_code", grid_problems.get(code) or "缺少网格编码")
        place = (grids[code].code if code in grids else code, address)  # a grid by code or by name: one grid
        if not address:
            err(n, "address", "缺少地址")
        elif place in seen:
            err(n, "address", f"地址与第 {seen[place]} 行重复")
        elif place in existing:
            err(n, "address", "该地址已在档案中登记")
        seen.setdefault(place, n)
        use_raw = cell(values, "use")
        use = HOUSE_USES.get(use_raw, "own" if not use_raw else None)
        if use is None:
            err(n, "use", f"未知的房屋用途：{use_raw}（可填：{'、'.join(HOUSE_USES)}）")
        area = number(n, "area", cell(values, "area"), 0.1, 100000)
        lon = number(n, "lon", cell(values, "lon"), -180, 180)
        lat = number(n, "lat", cell(values, "lat"), -90, 90)
        if (lon is None) != (lat is None):
            err(n, "lat" if lat is None else "lon", "经度和纬度要一起填")
        elif (
            lon is not None
            and lat is not None
            and code in shapes
            and not shapes[code].covers(shapely.Point(lon, lat))
        ):
            err(n, "lon", f"坐标 {lon}, {lat} 不在网格 {code} 内（须为 WGS-84 经纬度）")
        hazards = []
        for item in re.split(r"[、,，;；\s]+", cell(values, "hazards")):
            if not item:
                continue
            grade = ""
            if item.startswith("危房"):
                grade = item[2:].strip().upper()
                item = "危房"
                if grade not in {"A", "B", "C", "D"}:
                    err(n, "hazards", "危房须注明鉴定等级，如“危房C”")
                    continue
            if item not in HAZARD_KINDS:
                err(n, "hazards", f"未知的隐患：{item}（可填：{'、'.join(HAZARD_KINDS)}）")
                continue
            hazards.append((HAZARD_KINDS[item], grade))
        if len(report.errors) == before:
            prepared.append(
                {
                    "grid": grids[code],
                    "address": address,
                    "building": cell(values, "building"),
                    "room": cell(values, "room"),
                    "use": use,
                    "area": area,
                    "lon": lon,
                    "lat": lat,
                    "hazards": hazards,
                }
            )
    return sheet.finish(prepared)


@transaction.atomic
def commit_houses(prepared: list[dict], report: LedgerReport, *, by=None) -> LedgerReport:
    buildings: dict[tuple[int, str], Building] = {
        (b.grid_id, b.name): b for b in Building.objects.filter(grid__in={p["grid"] for p in prepared})
    }
    for p in prepared:
        key = (p["grid"].pk, p["building"])
        if p["building"] and key not in buildings:
            buildings[key] = Building.objects.create(
                grid=p["grid"], name=p["building"], address=p["address"], lon=p["lon"], lat=p["lat"]
            )
    houses = [
        House(
            grid=p["grid"],
            building=buildings.get((p["grid"].pk, p["building"])) if p["building"] else None,
            address=p["address"],
            room=p["room"],
            use=p["use"],
            area_m2=p["area"],
            lon=p["lon"],
            lat=p["lat"],
        )
        for p in prepared
    ]
    House.objects.bulk_create(houses, batch_size=2000)
    today = date.today()
    Hazard.objects.bulk_create(
        [
            Hazard(house=h, kind=kind, grade=grade, found_on=today)
            for h, p in zip(houses, prepared, strict=True)
            for kind, grade in p["hazards"]
        ],
        batch_size=2000,
    )
    audit.record(
        audit.Action.IMPORT,
        actor=by,
        object_type="registry.house",
        object_repr=f"导入房屋台账 {len(houses)} 套",
        detail={"houses": len(houses)},
    )
    report.committed = True
    return report


@bulk.gc_paused()  # a fifth of the time of 100,000 rows (core.bulk)
def import_ledger(
    content: bytes,
    *,
    mapping: dict[str, int] | None = None,
    commit: bool = False,
    user=None,
    progress: Callable[[int, int], None] | None = None,
    kind: str = "persons",
    committed: Callable[[LedgerReport], None] | None = None,
    include_set_aside: bool = False,
    refresh: bool = False,
    mark_missing: bool = False,
    skip_tags: Iterable[str] = (),
) -> LedgerReport:
    """Check a ledger and, with commit, write it if it is clean. Rows the clerk hid or struck through
    are left out and listed, unless `include_set_aside`. With `refresh` (the monthly refresh), persons
    the archive holds are updated from their rows; with `mark_missing` too, the archive's persons of the
    ledger's grids that it no longer lists are marked moved out. `committed` is called inside the commit's
    own transaction once the rows are written: an import job marks itself done there, so that a process
    killed just after the commit is never mistaken for one killed before it (and imported twice)."""

    def within_commit(write: Callable[[], object], report: LedgerReport) -> None:
        with transaction.atomic():
            write()
            if committed is not None and report.committed:
                committed(report)

    key = (
        _check_key(
            content,
            {
                "mapping": mapping,
                "set_aside": include_set_aside,
                "refresh": refresh,
                "missing": mark_missing,
                "skip": sorted(skip_tags),
            },
            user,
        )
        if kind == "persons"
        else ""
    )
    if key and commit:
        checked = _take_checked(key)
        if checked is not None:  # this file was just checked clean here: only what may have changed since
            report, prepared = recheck(checked[1], checked[0], user), checked[1]
            if report.ok and prepared:
                within_commit(lambda: _commit_or_report(prepared, report, user), report)
            return report
    try:
        table = read_ledger(content, kind)
    except Exception:  # calamine's own error types for files that are not spreadsheets
        return LedgerReport(errors=[RowError(0, "", "", "无法读取文件：请上传 .xlsx 格式的 Excel 文件")])
    header, body, first = table.header, table.body, table.first_row
    if kind == "houses":
        house_report, houses = check_houses(header, body, mapping=mapping, user=user, first_row=first)
        house_report.header_row, house_report.sheet = table.header_row, table.sheet
        if commit and house_report.ok and houses:
            within_commit(lambda: commit_houses(houses, house_report, by=user), house_report)
        return house_report
    if kind == "organisations":
        org_report, orgs = check_organisations(header, body, mapping=mapping, user=user, first_row=first)
        org_report.header_row, org_report.sheet = table.header_row, table.sheet
        if commit and org_report.ok and orgs:
            within_commit(lambda: commit_organisations(orgs, org_report, by=user), org_report)
        return org_report
    marked = {row: why for row, why in marked_rows(content, table.sheet).items() if row > table.header_row}
    report, prepared = check_ledger(
        header,
        body,
        mapping=mapping,
        user=user,
        progress=progress,
        first_row=first,
        set_aside={} if include_set_aside else marked,
        refresh=refresh,
        skip_tags=frozenset(skip_tags),
    )
    report.header_row, report.sheet = table.header_row, table.sheet
    report.mark_missing = refresh and mark_missing
    if include_set_aside:  # imported at the clerk's word: still listed, so the report says so
        report.set_aside = [SetAside(row, why, "") for row, why in sorted(marked.items())]
        report.set_aside_included = True
    if commit and report.ok and prepared:
        within_commit(lambda: _commit_or_report(prepared, report, user), report)
    elif not commit and report.ok and prepared:
        _keep_checked(key, report, prepared)
    return report


# The last ledger this process checked clean, kept for the commit that usually follows (the import page's
# "导入" after its dry run): the commit then re-checks only what may have changed meanwhile (recheck)
# instead of reading and checking every row again. One slot; a different file or user replaces it; a
# commit in another process simply checks everything again.
_checked: dict[str, tuple[LedgerReport, list[PreparedRow]]] = {}
_checked_lock = threading.Lock()


def _check_key(content: bytes, mapping: dict | None, user) -> str:
    h = hashlib.sha256(content)
    h.update(json.dumps(mapping, sort_keys=True).encode())
    h.update(f"|{getattr(user, 'pk', '')}|{date.today().isoformat()}".encode())
    return h.hexdigest()


def _keep_checked(key: str, report: LedgerReport, prepared: list[PreparedRow]) -> None:
    kept = LedgerReport(
        report.rows,
        [],
        report.households_new,
        report.persons,
        False,
        dict(report.mapping),
        report.header_row,
        report.sheet,
        refresh=report.refresh,
        mark_missing=report.mark_missing,
    )
    with _checked_lock:
        _checked.clear()
        _checked[key] = (kept, prepared)


def forget_checked() -> None:
    with _checked_lock:
        _checked.clear()


def _take_checked(key: str) -> tuple[LedgerReport, list[PreparedRow]] | None:
    with _checked_lock:
        return _checked.pop(key, None)
