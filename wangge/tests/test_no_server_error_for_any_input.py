"""No input answers 500: out-of-range pages and ages, bodies too large, impossible dates, malformed JSON,
control characters. Every API error has one JSON shape with a Chinese message (English when asked), and a
real server error leaks nothing of what went wrong inside."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.cases.tests.helpers import inside
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db

LISTS = ["/api/persons", "/api/cases", "/api/grids", "/api/mediation/disputes", "/api/fieldwork/visits",
         "/api/users", "/api/audit"]  # fmt: skip


def is_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "errors", "codes"} and body["code"] == code and body["detail"]
    assert set(body["codes"]) == set(body["errors"])  # a code beside every refused field
    return body


@pytest.fixture
def admin(client, town):
    user = staff(User.Role.ADMIN)
    client.force_login(user)
    return user


@pytest.mark.parametrize("path", LISTS)
def test_a_page_past_the_last_is_empty_not_an_error(client, admin, path):
    response = client.get(path, {"page": 200000000000000000})
    assert response.status_code == 200 and response.json()["items"] == []
    assert response.json()["page"] == 200000000000000000
    assert client.get(path, {"page": 0}).status_code == 422


def test_an_age_no_one_has_is_refused_in_chinese(client, admin):
    for name, value in (("age_min", 3000), ("age_max", 10000), ("age_min", -1)):
        body = is_error(client.get("/api/persons", {name: value}), 422, "invalid")
        assert body["errors"][name] in (["数值太大"], ["数值太小"])


def test_bodies_too_large_get_413_with_a_chinese_message_before_anything_reads_them(client, admin, town):
    for megabytes in (3, 10):
        big = json.dumps({"category": "noise", "description": "很" * (megabytes * 1024 * 1024 // 3)})
        body = is_error(client.post("/api/cases", big, content_type="application/json"), 413, "too_large")
        assert "太大" in body["detail"]
    client.logout()
    page = client.post(reverse("report:start"), {"description": "x" * (10 * 1024 * 1024)})
    assert page.status_code == 413 and "提交的内容太大" in page.content.decode()


def test_malformed_json_and_control_characters_get_the_same_shape(client, admin, town):
    malformed = client.post("/api/cases", "{not json", content_type="application/json")
    body = is_error(malformed, 400, "bad_request")
    assert body["detail"] == "请求体不是有效的 JSON"
    hh, _ = household_with_people(town.units[0])
    for name in ("a\x00b", "a\x07b", "\ud800"):
        person = json.dumps({"household_id": hh.pk, "name": name})  # ensure_ascii: "\ud800" as JSON sends it
        body = is_error(client.post("/api/persons", person, content_type="application/json"), 422, "invalid")
        assert body["errors"] == {"name": ["含有不可见的控制字符或无效字符，请删除后重试"]}
    assert "\x00" not in "".join(hh.members.values_list("name", flat=True))
    body = is_error(client.get("/api/persons", {"q": "a\x00"}), 422, "invalid")
    assert list(body["errors"]) == ["q"]
    assert client.get(reverse("registry:person_list"), {"q": "a\x00"}).status_code == 400


def test_control_characters_typed_into_a_page_are_refused_not_stored(client, town):
    hh, _ = household_with_people(town.units[0])
    client.force_login(grid_worker(town.units[0]))
    form = {"name": "王\x01五", "doc_type": "citizen_id", "relation": "other", "client_id": "c1"}
    page = client.post(reverse("registry:person_create", args=[hh.pk]), form)
    assert page.status_code == 200 and "含有不可见的控制字符" in page.content.decode()
    assert not hh.members.filter(name__contains="五").exists()


def test_impossible_dates_are_a_chinese_error_not_a_500(client, town):
    hh, _ = household_with_people(town.units[0])
    client.force_login(grid_worker(town.units[0]))
    url = reverse("fieldwork:visit_form", args=[hh.pk])
    page = client.post(url, {"visited_at": "2026-13-45T99:00", "client_id": "v1", "mode": "in_person"})
    assert page.status_code == 400 and "须是真实的日期和时间" in page.content.decode()
    feed = client.get("/open311/v2/requests.json", {"end_date": "2020-13-45T99:00:00Z"})
    assert feed.status_code == 400 and "end_date" in feed.json()[0]["description"]


def test_an_error_is_said_in_english_when_the_client_asks(client, admin):
    body = is_error(client.get("/api/cases/NOPE", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert body["detail"] == "Not found"
    assert is_error(client.get("/api/cases/NOPE"), 404, "not_found")["detail"] == "未找到"


def test_a_server_error_leaks_nothing(client, town, monkeypatch, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    worker = grid_worker(town.units[0])
    client.force_login(worker)

    def broken(*args, **kwargs):
        raise RuntimeError("secret table cases_case is on fire")

    monkeypatch.setattr("wangge.cases.services.visible_cases", broken)
    body = is_error(client.get("/api/cases"), 500, "server_error")
    assert "secret" not in json.dumps(body) and "服务器内部错误" in body["detail"]
    page = client.get(reverse("cases:queue"))
    assert page.status_code == 500 and "服务器出错了" in page.content.decode()
    assert "secret" not in page.content.decode() and "Traceback" not in page.content.decode()


def test_the_document_declares_every_status_an_operation_can_answer(client):
    doc = client.get("/api/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            declared = set(op["responses"])
            assert {"400", "401", "403", "404", "409", "413", "422", "429", "500"} <= declared, (method, path)
    assert doc["components"]["schemas"]["Error"]["required"] == ["detail", "code", "errors", "codes"]


def test_a_report_from_a_point_still_works_beside_all_this(client, town):
    lon, lat = inside(town.units[0])
    client.get(reverse("report:start"))
    done = client.post(reverse("report:start"), {"category": "noise", "description": "夜里施工", "lon": lon,
                                                 "lat": lat, "client_id": "n1"})  # fmt: skip
    assert done.status_code == 302
