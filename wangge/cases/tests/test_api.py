from datetime import UTC, datetime

import pytest

from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, inside, report

pytestmark = pytest.mark.django_db


def test_the_api_reports_once_per_client_id_and_walks_the_loop(client, town):
    cast = Cast(town)
    client.force_login(cast.worker)
    lon, lat = inside(town.units[0])
    body = {
        "category": "garbage_dumping",
        "description": "路边垃圾",
        "lon": lon,
        "lat": lat,
        "client_id": "app-7",
    }
    first = client.post("/api/cases", body, content_type="application/json")
    again = client.post("/api/cases", body, content_type="application/json")
    assert (
        first.status_code == 201
        and again.json()["code"] == first.json()["code"]
        and Case.objects.count() == 1
    )
    code = first.json()["code"]
    assert first.json()["status"] == "accepted"  # a worker's report is accepted on entry
    for action, payload in (("dispatch", {}), ("handle", {"comment": "清走了"}), ("verify_pass", {})):
        r = client.post(f"/api/cases/{code}/actions/{action}", payload, content_type="application/json")
        assert r.status_code == 200, r.content
    detail = client.get(f"/api/cases/{code}").json()
    assert detail["status"] == "closed" and [e["action"] for e in detail["events"]][-1] == "verify_pass"
    bad = client.post(f"/api/cases/{code}/actions/handle", {"comment": "x"}, content_type="application/json")
    assert bad.status_code == 422 and "不能进行此操作" in str(bad.json())


def test_out_of_jurisdiction_cases_are_not_found_through_the_api(client, town):
    cast = Cast(town)
    theirs = report(town.units[7])
    client.force_login(cast.worker)
    assert client.get(f"/api/cases/{theirs.code}").status_code == 404
    r = client.post(f"/api/cases/{theirs.code}/actions/accept", {}, content_type="application/json")
    assert r.status_code == 404
    assert client.get("/api/cases").json()["count"] == 0
    client.force_login(cast.police)
    assert client.get("/api/cases").json()["count"] == 0


def test_the_hotline_pushes_orders_all_or_nothing(client, town):
    cast = Cast(town)
    client.force_login(cast.centre)
    good = {"工单编号": "API-1", "地址": "胜利街1号", "诉求内容": "路灯不亮", "诉求类型": "路灯不亮"}
    bad = {"工单编号": "API-2", "地址": "", "诉求内容": "x"}
    r = client.post("/api/cases/hotline/orders", [good, bad], content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"] == {"1.地址": ["缺少地址"]}
    assert Case.objects.count() == 0
    r = client.post("/api/cases/hotline/orders", [good], content_type="application/json")
    assert r.status_code == 201 and r.json()["imported"] == ["API-1"]
    client.force_login(cast.worker)
    assert (
        client.post("/api/cases/hotline/orders", [good], content_type="application/json").status_code == 403
    )


def test_every_case_route_answers_not_found_out_of_jurisdiction(client, town):
    """Enumerated from the OpenAPI document: a new route with a case code is covered by this test."""
    from wangge.api import api

    cast = Cast(town)
    theirs = report(town.units[7])
    routes = [
        (method, path)
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method in ops
        if "{case_code}" in path
    ]
    assert len(routes) == 5
    client.force_login(cast.worker)
    body = {"dispute": 1, "parties": ["王"]}  # valid for every route: the door is the case, not the body
    for method, path in routes:
        url = path.format(case_code=theirs.code, action="accept")
        r = client.get(url) if method == "get" else client.post(url, body, content_type="application/json")
        assert r.status_code == 404 and r.json()["detail"] == "未找到", (method, path)


def test_hotline_times_in_every_iso_8601_form_are_taken_and_stored_in_utc(client, town):
    cast = Cast(town)
    client.force_login(cast.centre)
    orders = [
        {"工单编号": "TZ-1", "地址": "胜利街1号", "诉求内容": "路灯不亮",
         "来电时间": "2026-12-05T09:00:00+08:00", "办理时限": "2026-12-10T18:00:00+08:00"},
        {"工单编号": "TZ-2", "地址": "胜利街2号", "诉求内容": "井盖缺失", "来电时间": "2026-12-05T01:00:00Z"},
    ]  # fmt: skip
    r = client.post("/api/cases/hotline/orders", orders, content_type="application/json")
    assert r.status_code == 201, r.json()
    first, second = Case.objects.get(hotline_number="TZ-1"), Case.objects.get(hotline_number="TZ-2")
    assert first.due_at == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    assert first.attributes["来电时间"] == second.attributes["来电时间"] == "2026-12-05T01:00:00+00:00"
