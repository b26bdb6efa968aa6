"""12345 hotline work orders: import (Excel in the hotline centre's columns, or the API), addresses matched
against the standard address base, and the answers exported back in the hotline's format.

An order carries an address, not a point, and there is no internet geocoder here: the address is read in
parts (road, gate number, village, building, room) and matched against the registry's houses and buildings
(`registry.address_book`); an address that lies in one grid places the case there, anything else (no
number, two places of that name) goes to the centre's queue to be placed on the map by a person, with
the reason."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process

from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.core.excel import RowError, column_letter, excel_serial_moment, read_rows, write_workbook
from wangge.registry import services as registry

COLUMNS = ["工单编号", "来电时间", "诉求人", "电话", "地址", "诉求内容", "诉求类型", "办理时限"]
REQUIRED = {"工单编号", "地址", "诉求内容"}
ANSWER_COLUMNS = [
    "工单编号",
    "办理状态",
    "办理结果",
    "承办单位",
    "受理时间",
    "办结时间",
    "是否按期",
    "回访评价",
]


@dataclass
class OrderIn:
    number: str
    called_at: datetime | None
    caller: str
    phone: str
    address: str
    content: str
    kind: str
    due: datetime | None
    row: int = 0


@dataclass
class HotlineReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    imported: list[Case] = field(default_factory=list)
    matched: int = 0
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)  # number, address, why not placed
    committed: bool = False
    bad_rows: bytes | None = None  # with keep_good: the rows not imported, with their problems, as .xlsx

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def matched_share(self) -> float:
        return self.matched / len(self.imported) if self.imported else 0.0


TEXT_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d %H:%M", "%Y.%m.%d",
                     "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日", "%Y%m%d")  # fmt: skip


def _when(value, *, end_of_day: bool = False) -> datetime | None | str:
    """A time as hotline systems send it: a date-time cell, an Excel date number, any ISO 8601 form
    (2026-12-05T09:00:00+08:00, …Z, 2026-12-05 09:00) or the usual Chinese forms; without a zone, the
    site's time. In UTC; "bad" if it is none of these. A date alone is its start (or, for a deadline,
    its end)."""
    if value in (None, ""):
        return None
    date_only = False
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment, date_only = datetime.combine(value, datetime.min.time()), True
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found = excel_serial_moment(value)
        if found is None:
            return "bad"
        moment, date_only = found, float(value).is_integer()
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        try:
            moment = datetime.fromisoformat(text)
            date_only = len(text) == 10
        except ValueError:
            for fmt in TEXT_TIME_FORMATS:
                try:
                    moment = datetime.strptime(text, fmt)
                    date_only = "%H" not in fmt
                    break
                except ValueError:
                    continue
            else:
                return "bad"
    if date_only and end_of_day:
        moment = datetime.combine(moment.date(), datetime.max.time().replace(microsecond=0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(UTC)


def check_orders(header: list[str], body: list[list]) -> tuple[list[OrderIn], list[RowError]]:
    """Every row checked; each problem by row, column and a Chinese message."""
    clean = [re.sub(r"[\s*＊]", "", h) for h in header]
    errors: list[RowError] = []
    missing = [c for c in REQUIRED if c not in clean]
    if missing:
        return [], [RowError(1, "", "、".join(sorted(missing)), "缺少必填列")]
    col = {c: clean.index(c) for c in COLUMNS if c in clean}

    def cell(values, name):
        i = col.get(name)
        v = values[i] if i is not None and i < len(values) else None
        return v.strip() if isinstance(v, str) else v

    def err(row, name, message):
        errors.append(RowError(row, column_letter(col[name]) if name in col else "", name, message))

    orders: list[OrderIn] = []
    seen: dict[str, int] = {}
    for n, values in enumerate(body, start=2):
        number = str(cell(values, "工单编号") or "").strip()
        if number.endswith(".0"):
            number = number[:-2]
        if not number:
            err(n, "工单编号", "缺少工单编号")
        elif number in seen:
            err(n, "工单编号", f"工单编号与第 {seen[number]} 行重复")
        seen.setdefault(number, n)
        content = str(cell(values, "诉求内容") or "")
        if not content:
            err(n, "诉求内容", "缺少诉求内容")
        address = str(cell(values, "地址") or "")
        if not address:
            err(n, "地址", "缺少地址")
        called = _when(cell(values, "来电时间"))
        if called == "bad":
            err(n, "来电时间", f"“{cell(values, '来电时间')}”不是时间（如 2026-03-04 09:30）")
        due = _when(cell(values, "办理时限"), end_of_day=True)
        if due == "bad":
            err(n, "办理时限", f"“{cell(values, '办理时限')}”不是日期（如 2026-03-10）")
        phone = re.sub(r"[\s-]", "", str(cell(values, "电话") or ""))
        if phone.endswith(".0"):
            phone = phone[:-2]
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            err(n, "电话", f"电话号码格式不正确：{phone}")
        orders.append(
            OrderIn(
                number,
                called if isinstance(called, datetime) else None,
                str(cell(values, "诉求人") or ""),
                phone,
                address,
                content,
                str(cell(values, "诉求类型") or ""),
                due if isinstance(due, datetime) else None,
                n,
            )  # fmt: skip
        )
    already = set(Case.objects.filter(hotline_number__in=list(seen)).values_list("hotline_number", flat=True))
    for o in orders:
        if o.number in already:
            err(o.row, "工单编号", f"工单 {o.number} 已导入过")
    errors.sort(key=lambda e: (e.row, e.column))
    return orders, errors


def _category_for(kind: str):
    """The catalogue's subclass named like the hotline's type (exact, then close), else 其他."""

    options = {c.name: c for c in cases.categories()}
    if kind in options:
        return options[kind]
    if kind:
        hit = process.extractOne(kind, list(options), scorer=fuzz.partial_ratio, score_cutoff=80)
        if hit:
            return options[hit[0]]
    other = cases.categories().filter(key__in=["other_issue", "other"]).first()
    return other or cases.categories().first()


def import_orders(content: bytes, *, by=None, keep_good: bool = False) -> HotlineReport:
    """Check every row; import all (or, with keep_good, the good ones) in one transaction."""
    try:
        header, body = read_rows(content)
    except Exception:  # calamine's own errors for files that are not spreadsheets
        return HotlineReport(errors=[RowError(0, "", "", "无法读取文件：请上传 .xlsx 格式的 Excel 文件")])
    orders, errors = check_orders(header, body)
    report = HotlineReport(rows=len(body), errors=errors)
    if errors and not keep_good:
        return report
    bad_rows = {e.row for e in errors}
    good = [o for o in orders if o.row not in bad_rows]
    if bad_rows:
        problems: dict[int, list[str]] = {}
        for e in errors:
            problems.setdefault(e.row, []).append(f"{e.column}列 {e.message}" if e.column else e.message)
        report.bad_rows = write_workbook(
            [*header, "问题"], [[*body[r - 2], "；".join(problems[r])] for r in sorted(bad_rows) if r >= 2]
        )
    return import_checked(good, report=report, by=by)


def import_checked(good: list[OrderIn], *, report: HotlineReport | None = None, by=None) -> HotlineReport:
    """Write checked orders in one transaction (all or none), matching each address."""
    report = report or HotlineReport(rows=len(good))
    report.imported = []
    book = registry.address_book()
    with transaction.atomic():
        for o in good:
            case = import_one(o, book=book, by=by)
            report.imported.append(case)
            if case.grid_id:
                report.matched += 1
            else:
                report.unmatched.append((o.number, o.address, case.attributes.get("未定位原因", "")))
    report.committed = True
    return report


def import_one(o: OrderIn, *, book: registry.AddressBook, by=None) -> Case:
    found = book.match(o.address)
    lon, lat = (found.entry.lon, found.entry.lat) if found.entry else (None, None)
    category = _category_for(o.kind)
    data = cases.ReportIn(
        category=category.key,
        description=o.content,
        lon=lon,
        lat=lat,
        address=o.address,
        reporter_name=o.caller,
        reporter_phone=o.phone,
        channel=Case.Channel.HOTLINE,
        hotline_number=o.number,  # an order is taken in once: the number is unique among the cases
    )
    case = cases.report(data, by=by, attributes_extra={
        "诉求类型": o.kind, "匹配地址": found.entry.address if found.entry else "",
        "地址匹配度": round(found.score, 1), **({"未定位原因": found.reason} if found.reason else {}),
        **({"来电时间": o.called_at.isoformat()} if o.called_at else {}),
    })  # fmt: skip
    changes: dict = {}
    if o.due is not None:
        changes["due_at"] = case.due_at = o.due
    first = repeat_of(case)
    if first is not None:
        changes["repeat_of"] = case.repeat_of = first
    if changes:
        case.save(update_fields=list(changes))  # a save: a past deadline marks its day for the tallies
    return case


def repeat_of(case: Case) -> Case | None:
    """The first open hotline order this one repeats: the same caller, or the same address and category,
    within settings.CASE_REPEAT_DAYS. Repeats are grouped under it to be handled together."""

    since = case.created - timedelta(days=settings.CASE_REPEAT_DAYS)
    same = Q(address=case.address, category__key=case.category.key) if case.address else Q(pk__in=[])
    if case.reporter_phone_index:
        same |= Q(reporter_phone_index=case.reporter_phone_index)
    earlier = (
        Case.objects.filter(same, channel=Case.Channel.HOTLINE, created__gte=since, status__in=cases.OPEN)
        .exclude(pk=case.pk)
        .order_by("created", "pk")
        .first()
    )
    if earlier is None:
        return None
    return earlier.repeat_of or earlier


def answers_xlsx(qs) -> bytes:
    """The answers in the hotline's format, one row per order."""
    rows = []
    for c in qs.filter(hotline_number__isnull=False).select_related("handler_department", "handler_grid"):
        handler = (
            c.handler_department.name
            if c.handler_department
            else (c.handler_grid.name if c.handler_grid else "")
        )
        on_time = ""
        if c.closed_at and c.due_at:
            on_time = "是" if c.closed_at <= c.due_at else "否"
        rows.append([
            c.hotline_number, c.get_status_display(), c.answer, handler,
            timezone.localtime(c.accepted_at).strftime("%Y-%m-%d %H:%M") if c.accepted_at else "",
            timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M") if c.closed_at else "",
            on_time, c.get_rating_display(),
        ])  # fmt: skip
    return write_workbook(ANSWER_COLUMNS, rows, sheet="办理结果")


def template_xlsx() -> bytes:
    example = "GD202603040001|2026-03-04 09:30|王先生|13800001234|胜利街12号|楼下路灯不亮|路灯不亮|2026-03-10"
    return write_workbook(COLUMNS, [example.split("|")], sheet="12345工单")
