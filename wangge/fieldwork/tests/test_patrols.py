"""Jinyuan's monthly joint patrol: planned with its members, findings fixed on the spot, sent as cases to the
property company, or taken to the party committee; the summary, the common problems, the public outcome."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.cases.models import Case
from wangge.core.excel import read_rows
from wangge.core.models import OutboxMessage
from wangge.fieldwork import patrols
from wangge.fieldwork.models import PatrolFinding

pytestmark = pytest.mark.django_db
MEMBERS = [{"name": "张组长", "role": "居民小组长"}, {"name": "物业李经理", "role": "物业公司"}]


@pytest.fixture
def community(town):
    return staff("community_staff", scope=town.seconds[0])


def walk(p, by, n, item="楼道杂物", handling="on_spot", **kw):
    return patrols.record(
        p,
        by=by,
        area=kw.pop("area", "环境卫生"),
        item=item,
        description=kw.pop("description", "楼道堆放纸箱"),
        handling=handling,
        client_id=f"f{n}",
        **kw,
    )


def test_a_patrol_needs_its_members_and_happens_once_a_month(town, community):
    day = date(2026, 11, 2)
    with pytest.raises(ValidationError) as e:
        patrols.plan(grid=town.seconds[0], planned_on=day, members=MEMBERS[:1], by=community)
    assert "至少需要两名" in str(e.value)
    with pytest.raises(ValidationError) as e:
        patrols.plan(
            grid=town.seconds[0],
            planned_on=day,
            members=[*MEMBERS, {"name": "某", "role": "路人"}],
            by=community,
        )
    assert "未知的身份" in str(e.value)
    with pytest.raises(PermissionDenied):
        patrols.plan(grid=town.seconds[1], planned_on=day, members=MEMBERS, by=community)
    p = patrols.plan(grid=town.seconds[0], planned_on=day, members=MEMBERS, by=community)
    assert "物业服务" in p.checklist and p.month == date(2026, 11, 1)
    with pytest.raises(ValidationError):
        patrols.plan(grid=town.seconds[0], planned_on=day + timedelta(days=5), members=MEMBERS, by=community)


def test_findings_are_fixed_handed_over_or_escalated_and_summarised(town, community):
    p = patrols.plan(grid=town.seconds[0], planned_on=date(2026, 11, 2), members=MEMBERS, by=community)
    walk(p, community, 1)
    case_finding = walk(
        p,
        community,
        2,
        item="保洁是否到位",
        description="垃圾桶周边脏乱",
        area="物业服务",
        category="garbage_dumping",
        department="property_company",
        handling="case",
    )
    walk(p, community, 3, item="楼道杂物", handling="escalated", description="电动车楼道充电屡禁不止")
    assert (
        walk(p, community, 3, item="楼道杂物", handling="escalated").pk == PatrolFinding.objects.last().pk
    )  # retry
    case = Case.objects.get(code=case_finding.case_code)
    assert case.status == "dispatched" and case.handler_department.key == "property_company"
    assert case_finding.assigned_to == "物业服务企业"
    assert OutboxMessage.objects.filter(key="patrol-escalated-f3", to_grid_id=town.seconds[0].pk).count() == 1
    p.refresh_from_db()
    assert p.walked_on is not None
    s = patrols.summary(p)
    assert s["total"] == 3 and s["by_handling"] == {
        "现场解决": 1,
        "记录在案": 0,
        "转交办理": 1,
        "提交社区党委": 1,
    }
    with pytest.raises(ValidationError) as e:
        walk(p, community, 4, handling="case")
    assert "请选择事件类别" in str(e.value)
    with pytest.raises(ValidationError):
        walk(p, community, 5, item="不在清单上")
    assert PatrolFinding.objects.count() == 3 and Case.objects.count() == 1


def test_common_problems_across_communities_and_recurring_ones(town, community):
    centre = staff("centre_staff", scope=town.root)
    other = staff("community_staff", scope=town.seconds[1])
    oct_ = patrols.plan(grid=town.seconds[0], planned_on=date(2026, 10, 5), members=MEMBERS, by=community)
    nov_a = patrols.plan(grid=town.seconds[0], planned_on=date(2026, 11, 5), members=MEMBERS, by=community)
    nov_b = patrols.plan(grid=town.seconds[1], planned_on=date(2026, 11, 6), members=MEMBERS, by=other)
    walk(oct_, community, 1)
    walk(nov_a, community, 2)
    walk(nov_b, other, 3)
    walk(nov_b, other, 4, item="垃圾分类与清运", handling="recorded")
    rows = patrols.analysis(centre, date(2026, 11, 1))
    assert rows[0] == {
        "area": "环境卫生",
        "item": "楼道杂物",
        "count": 2,
        "communities": 2,
        "recurring": 1,
        "not_on_spot": 0,
    }
    assert rows[1]["item"] == "垃圾分类与清运" and rows[1]["not_on_spot"] == 1
    assert [r["communities"] for r in patrols.analysis(other, date(2026, 11, 1))] == [1, 1]


def test_residents_see_the_outcome_and_workers_elsewhere_see_nothing(client, town, community):
    p = patrols.plan(grid=town.seconds[0], planned_on=date(2026, 11, 2), members=MEMBERS, by=community)
    walk(p, community, 1, place="3 栋 2 单元")
    walk(p, community, 2, handling="escalated", description="电动车楼道充电")
    # a category kept off public pages
    walk(p, community, 3, handling="case", description="楼道堆满纸箱", category="fire_hazard")
    page = client.get(reverse("fieldwork:patrol_public", args=[town.seconds[0].code]), {"month": "2026-11"})
    text = page.content.decode()
    assert (
        page.status_code == 200
        and "已现场解决" in text
        and "已提交社区党委研究" in text
        and "张组长" not in text
        and "已转交有关单位办理" in text
    )
    client.force_login(grid_worker(town.units[7]))
    assert client.get(reverse("fieldwork:patrol_detail", args=[p.pk])).status_code == 404
    client.force_login(community)
    assert client.get(reverse("fieldwork:patrol_detail", args=[p.pk])).status_code == 200
    assert client.get(reverse("fieldwork:patrols")).status_code == 200
    bad = client.post(
        reverse("fieldwork:patrol_detail", args=[p.pk]),
        {"item": "环境卫生|楼道杂物", "description": "", "handling": "on_spot"},
    )
    assert bad.status_code == 400 and "请写明发现的问题" in bad.content.decode()
    _h, rows = read_rows(
        client.get(reverse("fieldwork:patrol_analysis"), {"month": "2026-11", "format": "xlsx"}).content
    )
    assert rows[0][1] == "楼道杂物" and rows[0][2] == 3
