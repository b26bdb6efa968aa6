"""Excel in and out: read with python-calamine, write with xlsxwriter, mark a user's own workbook with
openpyxl (the one of the three that can change a file it did not write); errors name row and column."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import openpyxl
import xlsxwriter
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineWorkbook

EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (as Excel counts, past its 1900 bug)


def excel_serial_moment(number: float) -> datetime | None:
    """The moment an Excel date-time number stands for (a date cell that lost its format: 46360.375 is
    2026-12-05 09:00), or None for a number that cannot be one."""
    if isinstance(number, bool) or not 1 <= number < 100000:
        return None
    return EXCEL_EPOCH + timedelta(days=float(number))


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (Excel's own numbering)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class RowError:
    row: int  # Excel row number (header is row 1)
    column: str  # letter
    header: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.column} 列（{self.header}）：{self.message}"


HEADER_SCAN_ROWS = 20  # title rows, a fill-in line and notes above a ledger's header stay within this
_HEADER_JUNK = re.compile(r"[\s*＊:：]")


def header_name(cell: object) -> str:
    """A header cell as names are compared: no spaces or line breaks, no required-mark, full-width
    brackets as half-width (公民身份号码（18位） and 公民身份号码(18位) are one name)."""
    text = _HEADER_JUNK.sub("", str(cell if cell is not None else ""))
    return text.replace("（", "(").replace("）", ")")


@dataclass
class Table:
    """A sheet's table as a clerk keeps it: the header wherever it is, the rows below it."""

    header: list[str]
    body: list[list[Any]]
    header_row: int  # the header's Excel row number (1 when the sheet starts with it)
    sheet: str

    @property
    def first_row(self) -> int:
        return self.header_row + 1


def read_table(data: bytes, known: Iterable[str]) -> Table:
    """The table a workbook holds: of every sheet's first rows, the row that names the most known
    column headers (a title, the date and the person who filled it in, a notes sheet are passed over).
    With no known header anywhere, the first sheet's first row. Empty trailing rows are dropped."""
    names = {header_name(k) for k in known}
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    best: tuple[int, int, int] | None = None  # (score, sheet index, row index)
    sheets = []
    for si, sheet_name in enumerate(book.sheet_names):
        rows = book.get_sheet_by_index(si).to_python(skip_empty_area=False)
        sheets.append((sheet_name, rows))
        for ri, row in enumerate(rows[:HEADER_SCAN_ROWS]):
            score = sum(1 for cell in row if header_name(cell) in names)
            if score and (best is None or score > best[0]):
                best = (score, si, ri)
    if not sheets:
        return Table([], [], 1, "")
    _score, si, ri = best if best is not None else (0, 0, 0)
    sheet_name, rows = sheets[si]
    if not rows:
        return Table([], [], 1, sheet_name)
    header = [str(h).strip() for h in rows[ri]]
    body = rows[ri + 1 :]  # calamine's own fresh lists: the caller may pad them in place
    while body and all(v in ("", None) for v in body[-1]):
        body.pop()
    return Table(header, body, ri + 1, sheet_name)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW = re.compile(rb"<row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_STYLE = re.compile(rb'<c\b[^>]*?\br="[A-Z]+(\d+)"[^>]*?>|<c\b[^>]*?\br="[A-Z]+(\d+)"[^>]*?/>')
_STYLE = re.compile(rb'\bs="(\d+)"')


def marked_rows(data: bytes, sheet: str) -> dict[int, str]:
    """Rows of the sheet a clerk has set apart: hidden (communities hide people who moved out) or struck
    through (most of the row's cells in a struck-out font). Excel row number -> "hidden" or "struck".
    Read from the file's XML, which calamine does not report; a file that is no .xlsx has none."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            path = _sheet_path(z, sheet)
            struck_styles = _struck_styles(z)
            xml = z.read(path) if path else b""
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return {}
    marked: dict[int, str] = {}
    for m in _ROW.finditer(xml) if b' hidden="' in xml else ():  # most sheets hide nothing
        attrs = m.group(1)
        if b'hidden="1"' in attrs or b'hidden="true"' in attrs:
            number = _ROW_NUMBER.search(attrs)
            if number:
                marked[int(number.group(1))] = "hidden"
    if struck_styles:  # only files that use a struck-out font pay for reading every cell's style
        cells: dict[int, list[int]] = {}  # row -> [cells, struck cells]
        for m in _CELL_STYLE.finditer(xml):
            row = int(m.group(1) or m.group(2))
            style = _STYLE.search(m.group(0))
            counts = cells.setdefault(row, [0, 0])
            counts[0] += 1
            if style and int(style.group(1)) in struck_styles:
                counts[1] += 1
        for row, (total, struck) in cells.items():
            if struck * 2 > total and row not in marked:
                marked[row] = "struck"
    return marked


def _sheet_path(z: zipfile.ZipFile, sheet: str) -> str:
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rid = next((e.get(_REL) for e in book.iter(f"{_MAIN}sheet") if e.get("name") == sheet), None)
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return ""


def _struck_styles(z: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats whose font is struck out."""
    try:
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    except KeyError:
        return set()
    fonts = styles.find(f"{_MAIN}fonts")
    formats = styles.find(f"{_MAIN}cellXfs")
    if fonts is None or formats is None:
        return set()
    struck_fonts = {
        i
        for i, font in enumerate(fonts)
        if (strike := font.find(f"{_MAIN}strike")) is not None and strike.get("val") not in ("0", "false")
    }
    return {i for i, xf in enumerate(formats) if int(xf.get("fontId", "0")) in struck_fonts}


def read_rows(data: bytes, *, sheet: int = 0) -> tuple[list[str], list[list[Any]]]:
    """Header and data rows of the first sheet; empty trailing rows dropped."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_index(sheet).to_python(skip_empty_area=False)
    if not rows:
        return [], []
    header = [str(h).strip() for h in rows[0]]
    body = [list(r) for r in rows[1:]]
    while body and all(v in ("", None) for v in body[-1]):
        body.pop()
    return header, body


def write_workbook(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "Sheet1",
    widths: Sequence[int] | None = None,
) -> bytes:
    buf = io.BytesIO()
    # constant memory: each row goes to a temporary file as it is written, so a town's export does not
    # hold every cell at once (rows must come in order, as they do here)
    book = xlsxwriter.Workbook(
        buf, {"constant_memory": True, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#e5e7eb", "border": 1})
    for c, h in enumerate(headers):
        ws.write(0, c, h, bold)
        ws.set_column(c, c, (widths[c] if widths else max(10, len(h) * 2 + 2)))
    r = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue  # an empty cell is left empty (writing "" costs as much as a word)
            if isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    ws.freeze_panes(1, 0)
    if r:
        ws.autofilter(0, 0, r, len(headers) - 1)
    book.close()
    return buf.getvalue()


def errors_workbook(errors: Sequence[RowError]) -> bytes:
    return write_workbook(
        ["行", "列", "表头", "问题"],
        ([e.row, e.column, e.header, e.message] for e in errors),
        sheet="错误",
        widths=[6, 6, 14, 60],
    )


MARK_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's own "bad" red


def marked_workbook(data: bytes, sheet: str, header_row: int, errors: Sequence[RowError]) -> bytes:
    """The clerk's own workbook, every wrong cell filled red with its message as the cell's comment, the
    messages of each row in a column "问题" at the right, and the whole list on a sheet "问题清单": they
    fix the file in place and upload it again. Everything else of the file stays as it was."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet] if sheet in book.sheetnames else book.worksheets[0]
    notes_column = ws.max_column + 1
    if ws.cell(max(header_row, 1), ws.max_column).value == "问题":  # marked before, fixed, sent again
        notes_column = ws.max_column
        for (cell,) in ws.iter_rows(min_col=notes_column, max_col=notes_column):
            cell.value = None
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill == MARK_FILL:
                    cell.fill, cell.comment = PatternFill(), None
    if "问题清单" in book.sheetnames:
        del book["问题清单"]
    by_row: dict[int, list[str]] = {}
    for e in errors:
        if e.row < 1:
            continue
        by_row.setdefault(e.row, []).append(f"{e.header}：{e.message}" if e.header else e.message)
        if not e.column:
            continue
        cell = ws[f"{e.column}{e.row}"]
        cell.fill = MARK_FILL
        text = e.message if cell.comment is None else f"{cell.comment.text}\n{e.message}"
        cell.comment = Comment(text, "网格平台", width=300, height=120)
    head = ws.cell(max(header_row, 1), notes_column, "问题")
    head.font, head.fill = Font(bold=True, color="9C0006"), MARK_FILL
    for row, messages in by_row.items():
        ws.cell(row, notes_column, "；".join(messages)).font = Font(color="9C0006")
    ws.column_dimensions[column_letter(notes_column - 1)].width = 60
    listed = book.create_sheet("问题清单")
    listed.append(["行", "列", "表头", "问题"])
    for e in errors:
        listed.append([e.row, e.column, e.header, e.message])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
