"""Field work and mediation through the JSON API: a phone app's visit (retried once), the due list, a
dispute, the month's reports."""

import pytest

from testkit import grid_worker, staff
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_a_visit_through_the_api_is_stored_once(client, town):
    worker = grid_worker(town.units[0])
    hh, _ = household_with_people(town.units[0])
    from django.utils import timezone

    from wangge.fieldwork.models import Duty

    Duty.objects.filter(household=hh).update(due_on=timezone.localdate())
    client.force_login(worker)
    due = client.get("/api/fieldwork/due", {"tab": "today"}).json()
    assert [(d["household"], d["rules"]) for d in due] == [(hh.pk, ["普通家庭每年必访"])]
    body = {
        "household": hh.pk,
        "client_id": "app-1",
        "answers": {"有无矛盾纠纷": "ok"},
        "lon": 119.5,
        "lat": 27.45,
    }
    first = client.post("/api/fieldwork/visits", body, content_type="application/json")
    again = client.post("/api/fieldwork/visits", body, content_type="application/json")
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert client.get("/api/fieldwork/due", {"tab": "today"}).json() == []
    listed = client.get("/api/fieldwork/visits", {"household": hh.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["answers"] == {"有无矛盾纠纷": "ok"}
    bad = client.post(
        "/api/fieldwork/visits",
        {"household": hh.pk, "client_id": "app-2", "mode": "fly"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["errors"]["mode"] == ["请选择走访方式"]
    missing = client.post("/api/fieldwork/visits", {"client_id": "app-3"}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["errors"]["household"] == ["必填"]


def test_a_dispute_and_the_month_through_the_api(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    body = {
        "grid": town.units[0].code,
        "kind": "family",
        "summary": "赡养纠纷",
        "parties": ["赵某", "钱某"],
        "client_id": "d-1",
    }
    made = client.post("/api/mediation/disputes", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["level"] == "unit"
    assert (
        client.post("/api/mediation/disputes", body, content_type="application/json").json()["id"]
        == made.json()["id"]
    )
    assert client.get("/api/mediation/disputes").json()["count"] == 1
    outside = client.post(
        "/api/mediation/disputes",
        {**body, "grid": town.units[7].code, "client_id": "d-2"},
        content_type="application/json",
    )
    assert outside.status_code == 422 and "grid" in outside.json()["errors"]
    client.force_login(staff("centre_staff", scope=town.root))
    month = client.get("/api/mediation/monthly").json()
    assert {m["grid"] for m in month} == {g.code for g in town.seconds}
    assert next(m for m in month if m["grid"] == town.seconds[0].code)["figures"]["found"] == 1
    assert client.get("/api/mediation/monthly", {"month": "11/2026"}).status_code == 422
