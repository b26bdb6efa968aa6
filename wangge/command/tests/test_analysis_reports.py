"""日报告/周研判/月分析 write themselves from the data: what came in by category and grid, the figures
against the period before, hot topics, the place cases of one kind cluster, and risk notices from the
scene's rules; kept as issued (a second generation is a new version); pages, PDF and Excel for those whose
area holds the unit; the weekly review's meeting records decisions that become a case or a task followed
to its end."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.cases import services as cases
from wangge.cases import tallies
from wangge.cases.models import Case
from wangge.cases.tests.helpers import inside, report
from wangge.command import analysis, services
from wangge.command.models import AnalysisReport, Decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def gas_week(town):
    """This week in unit 0: gas smelled four times round 胜利街3号, and a pile of rubbish elsewhere."""
    lon, lat = inside(town.units[0])
    for n in range(4):
        cases.report(cases.ReportIn(category="gas_leak", description=f"燃气味{n}", address="胜利街3号",
                                    lon=lon + n * 0.0002, lat=lat))  # fmt: skip
    report(town.units[7], description="垃圾")
    tallies.refresh()
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()), today


def test_a_weekly_review_writes_itself_with_its_risk_notice(town, gas_week):
    start, end = gas_week
    r = analysis.generate(town.root, "weekly", start, end)
    c = r.content
    assert c["totals"]["received"] == 5 and r.version == 1 and "周研判" in r.title
    assert c["by_category"][0]["name"] == "燃气泄漏" and c["by_category"][0]["received"] == 4
    assert sum(g["received"] for g in c["by_grid"]) == 5
    assert c["hot_spots"][0]["place"] == "胜利街3号" and c["hot_spots"][0]["n"] == 4
    gas = [n for n in c["notices"] if n.startswith("燃气")]
    assert gas and "本周4件" in gas[0] and "集中在胜利街3号附近" in gas[0]
    assert {f["key"] for f in c["figures"]} >= {"on_time", "acceptance", "satisfaction"}


def test_a_report_is_kept_as_issued_and_the_schedule_writes_each_once(town, gas_week):
    start, end = gas_week
    first = analysis.generate(town.root, "weekly", start, end)
    report(town.units[0], description="又一件")
    tallies.refresh()
    second = analysis.generate(town.root, "weekly", start, end)
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.content["totals"]["received"] == 5 and second.content["totals"]["received"] == 6
    made = analysis.generate_due()
    assert made > 0 and analysis.generate_due() == 0  # nothing twice
    empty = AnalysisReport.objects.filter(kind="monthly", grid=town.root).first()
    assert empty is not None and empty.content["notices"] == []  # a period with no data: zeros, said so


def test_pages_pdf_and_excel_for_those_whose_area_holds_the_unit(client, town, gas_week):
    start, end = gas_week
    r = analysis.generate(town.root, "weekly", start, end)
    centre = staff("centre_staff", scope=town.root)
    client.force_login(centre)
    page = client.get(reverse("command:report_detail", args=[r.pk])).content.decode()
    assert "风险提示" in page and "集中在胜利街3号附近" in page and "记录研判会议" in page
    pdf = client.get(reverse("command:report_detail", args=[r.pk]), {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("command:report_detail", args=[r.pk]),
                                                        {"format": "xlsx"}).content))  # fmt: skip
    cells = [row for row in book.active.iter_rows(values_only=True)]
    assert any(row[0] == "风险提示" and "胜利街3号" in (row[4] or "") for row in cells)
    made = client.post(reverse("command:report_generate"), {"kind": "daily", "grid": town.units[0].code})
    assert (
        made.status_code == 302 and AnalysisReport.objects.filter(kind="daily", grid=town.units[0]).exists()
    )
    community = staff("community_staff", scope=town.seconds[1])  # another community: not the town's report
    client.force_login(community)
    assert client.get(reverse("command:report_detail", args=[r.pk])).status_code == 404
    outside = client.post(reverse("command:report_generate"), {"kind": "daily", "grid": town.units[0].code})
    assert outside.status_code == 404  # another community's grid: as if it did not exist
    client.force_login(grid_worker(town.units[0]))
    assert client.get(reverse("command:report_list")).status_code == 403


def test_the_meeting_decides_a_case_and_a_task_followed_to_their_end(client, town, gas_week):
    start, end = gas_week
    r = analysis.generate(town.root, "weekly", start, end)
    centre = staff("centre_staff", scope=town.root)
    community = staff("community_staff", scope=town.seconds[0])
    client.force_login(centre)
    minutes = {"held_on": end.isoformat(), "attendees": "书记、综治中心、应急办", "minutes": "研判燃气风险"}
    client.post(reverse("command:meeting_record", args=[r.pk]), minutes)
    meeting = r.meetings.get()
    url = reverse("command:decision_add", args=[r.pk, meeting.pk])
    client.post(url, {"text": "胜利街3号燃气入户排查", "kind": "case", "category": "gas_leak"})
    client.post(url, {"text": "入户提醒独居老人安全用气", "kind": "task", "owner": community.pk,
                      "due_on": (end + timedelta(days=7)).isoformat()})  # fmt: skip
    no_owner = client.post(url, {"text": "没有责任人的任务", "kind": "task"}, follow=True)
    assert "交办任务请选择责任人" in no_owner.content.decode()
    as_case, task = Decision.objects.order_by("pk")
    case = Case.objects.get(code=as_case.case_code)
    assert case.description.startswith("【周研判决定】") and case.category.key == "gas_leak"
    listed = client.get(reverse("command:decision_list")).content.decode()
    assert as_case.case_code in listed and case.get_status_display() in listed
    client.force_login(community)  # the owner marks their task done
    assert services.decisions_for(community).filter(pk=task.pk).exists()
    client.post(reverse("command:decision_done", args=[task.pk]), {"note": "已入户提醒 36 户"})
    task.refresh_from_db()
    assert task.state == "done" and task.done_note == "已入户提醒 36 户"
