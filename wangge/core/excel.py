"""Excel in and out: read with python-calamine, write with xlsxwriter; errors name row and column."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook


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
    body = [list(r) for r in rows[ri + 1 :]]
    while body and all(v in ("", None) for v in body[-1]):
        body.pop()
    return Table(header, body, ri + 1, sheet_name)


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
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#e5e7eb", "border": 1})
    for c, h in enumerate(headers):
        ws.write(0, c, h, bold)
        ws.set_column(c, c, (widths[c] if widths else max(10, len(h) * 2 + 2)))
    r = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
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


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
