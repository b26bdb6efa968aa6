"""What a page can do, the API can do: mediation sessions, outcomes, signatures, follow-ups and monthly
filing; campaigns, joint patrols and 帮办代办. Each through /api/ as a phone app would, and each record
outside the caller's jurisdiction is simply not found, on every route that names one."""

import base64
import io

import pytest
from django.utils import timezone
from PIL import Image

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.api import api
from wangge.cases.models import Case
from wangge.mediation import services as mediation
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_dispute_from_record_to_monthly_report_through_the_api(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    made = post(
        client,
        "/api/mediation/disputes",
        {
            "grid": town.units[0].code,
            "kind": "neighbour",
            "summary": "院墙归属争议",
            "parties": ["孙某", "钱某"],
        },
    )
    assert made.status_code == 201
    url = f"/api/mediation/disputes/{made.json()['id']}"
    refused = post(client, f"{url}/close", {"status": "agreed", "outcome": "和解"})
    assert refused.status_code == 422 and "协议内容" in str(refused.json())  # and nothing written
    assert post(client, f"{url}/sessions", {"notes": "现场查看院墙"}).status_code == 201
    assert [s["notes"] for s in client.get(f"{url}/sessions").json()] == ["现场查看院墙"]
    closed = post(client, f"{url}/close", {"status": "agreed", "outcome": "和解", "agreement": "院墙归孙某"})
    assert closed.status_code == 200 and closed.json()["status"] == "agreed"
    assert closed.json()["follow_up_due"] is not None
    buf = io.BytesIO()
    Image.new("RGB", (200, 80), "white").save(buf, "PNG")
    drawn = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    assert post(client, f"{url}/signatures", {"party": "孙某", "drawn": drawn}).status_code == 201
    assert post(client, f"{url}/signatures", {"party": "路人", "drawn": drawn}).status_code == 422
    assert post(client, f"{url}/follow-ups", {"kept": False}).status_code == 422  # not kept: say how
    assert post(client, f"{url}/follow-ups", {"kept": True, "note": "已履行"}).status_code == 201
    community = staff("community_staff", scope=town.seconds[0])
    client.force_login(community)
    month = timezone.localdate().strftime("%Y-%m")
    zero = post(
        client, "/api/mediation/monthly", {"grid": town.seconds[0].code, "month": month, "zero": True}
    )
    assert zero.status_code == 422 and "不能报零报告" in str(zero.json())
    filed = post(client, "/api/mediation/monthly", {"grid": town.seconds[0].code, "month": month})
    assert filed.status_code == 201 and filed.json()["figures"]["agreed"] == 1
    assert (
        post(client, "/api/mediation/monthly", {"grid": town.seconds[1].code, "month": month}).status_code
        == 422
    )


def test_campaigns_patrols_and_services_through_the_api(client, town):
    leader = staff("community_staff", scope=town.seconds[0])
    household_with_people(town.units[0])
    client.force_login(leader)
    today = timezone.localdate()
    campaign = post(
        client,
        "/api/fieldwork/campaigns",
        {"name": "周一夜访", "grid": town.seconds[0].code, "start": str(today), "end": str(today)},
    )
    assert campaign.status_code == 201 and campaign.json()["targets"] >= 1
    progress = client.get(f"/api/fieldwork/campaigns/{campaign.json()['id']}/progress").json()
    assert sum(r["targets"] for r in progress) == campaign.json()["targets"] and progress[0]["visited"] == 0
    members = [{"name": "张组长", "role": "居民小组长"}, {"name": "物业李经理", "role": "物业公司"}]
    patrol = post(
        client,
        "/api/fieldwork/patrols",
        {"grid": town.seconds[0].code, "planned_on": str(today), "members": members},
    )
    assert patrol.status_code == 201 and "物业服务" in patrol.json()["checklist"]
    finding = {
        "area": "物业服务",
        "item": "保洁是否到位",
        "description": "垃圾桶周边脏乱",
        "handling": "case",
        "category": "garbage_dumping",
        "department": "property_company",
        "client_id": "phone-f1",
    }
    url = f"/api/fieldwork/patrols/{patrol.json()['id']}/findings"
    first, again = post(client, url, finding), post(client, url, finding)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Case.objects.get(code=first.json()["case"]).handler_department.key == "property_company"
    worker = grid_worker(town.units[0])
    _hh, (person, _spouse) = household_with_people(town.units[0])
    client.force_login(worker)
    started = post(
        client,
        "/api/fieldwork/services",
        {"person": person.pk, "kind": "残疾证办理", "mode": "proxy", "client_id": "svc-1"},
    )
    assert started.status_code == 201 and started.json()["state"] == "open"
    url = f"/api/fieldwork/services/{started.json()['id']}"
    assert len(post(client, f"{url}/steps", {"note": "材料已交残联"}).json()["steps"]) == 2
    done = post(client, f"{url}/finish", {"state": "done", "result": "证已办下，送到家"})
    assert (
        done.json()["state"] == "done" and post(client, f"{url}/steps", {"note": "又一步"}).status_code == 422
    )


def test_every_route_naming_a_dispute_patrol_campaign_or_service_finds_nothing_outside(client, town):
    """Enumerated from the OpenAPI document, so that a new route is covered by this test."""
    other = grid_worker(town.units[7])
    data = mediation.DisputeIn(grid=town.units[7].pk, kind="neighbour", summary="别处的纠纷", parties=["钱"])
    theirs = mediation.record(data, by=other)
    from wangge.fieldwork import services as fieldwork

    _hh, (person, _s) = household_with_people(town.units[7])
    service = fieldwork.start_service(person_id=person.pk, kind="其他", mode="help", by=other)
    far = staff("community_staff", scope=town.seconds[1])
    patrol = fieldwork.plan_patrol(
        grid=town.seconds[1],
        planned_on=timezone.localdate(),
        by=far,
        members=[{"name": "甲", "role": "居民小组长"}, {"name": "乙", "role": "物业公司"}],
    )
    campaign = fieldwork.create_campaign(
        name="别处", grid=town.seconds[1], start=timezone.localdate(), end=timezone.localdate(), by=far
    )
    ids = {
        "dispute_id": theirs.pk,
        "patrol_id": patrol.pk,
        "campaign_id": campaign.pk,
        "record_id": service.pk,
    }
    body = {
        "notes": "x",
        "reason": "x",
        "status": "agreed",
        "outcome": "x",
        "agreement": "x",
        "party": "钱",
        "drawn": "data:image/png;base64,AA==",
        "kept": True,
        "area": "物业服务",
        "item": "保洁是否到位",
        "description": "x",
        "handling": "on_spot",
        "client_id": "x",
        "note": "x",
        "state": "done",
        "result": "x",
    }
    routes = [
        (method, path)
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method in ops
        if any(f"{{{k}}}" in path for k in ids) and ("mediation" in path or "fieldwork" in path)
    ]
    assert len(routes) == 12
    client.force_login(grid_worker(town.units[0]))
    for method, path in routes:
        url = path.format(**ids)
        r = client.get(url) if method == "get" else post(client, url, body)
        assert r.status_code == 404 and r.json()["detail"] == "未找到", (method, path, r.content[:200])


def test_a_persons_value_history_and_its_unmasking_through_the_api(client, town):
    from wangge.audit.models import AuditRecord

    worker = grid_worker(town.units[0])
    _hh, (person, _s) = household_with_people(town.units[0])
    old_phone = person.phone
    client.force_login(worker)
    edited = client.patch(
        f"/api/persons/{person.pk}", {"phone": "13955550000"}, content_type="application/json"
    )
    assert edited.status_code == 200
    (change,) = [c for c in client.get(f"/api/persons/{person.pk}/changes").json() if c["sensitive"]]
    assert old_phone not in str(change) and "13955550000" not in str(change) and "*" in change["after"]
    url = f"/api/persons/{person.pk}/changes/{change['id']}/unmask"
    assert post(client, url, {"reason": ""}).status_code == 422
    full = post(client, url, {"reason": "核实联系方式"}).json()["value"]
    assert full == f"{old_phone} → 13955550000"
    assert AuditRecord.objects.filter(
        actor=worker, action="view_sensitive", detail__history=change["id"]
    ).exists()
    _h, (theirs, _t) = household_with_people(town.units[7])
    assert client.get(f"/api/persons/{theirs.pk}/changes").status_code == 404
    assert post(client, f"/api/persons/{theirs.pk}/changes/1/unmask", {"reason": "核实"}).status_code == 404


def test_bulk_dispatch_and_the_return_calls_phone_through_the_api(client, town):
    from wangge.audit.models import AuditRecord
    from wangge.cases import services as cases
    from wangge.cases.tests.helpers import Cast, report

    cast = Cast(town)
    mine = [report(town.units[0]), report(town.units[0], reporter_phone="13800007777")]
    for c in mine:
        cases.accept(c, by=cast.centre)
    client.force_login(cast.centre)
    answer = post(client, "/api/cases/dispatch", {"cases": [c.code for c in mine] + ["NO-SUCH"]}).json()
    assert answer["dispatched"] == [c.code for c in mine] and answer["refused"] == {"NO-SUCH": "未找到"}
    assert post(client, "/api/cases/dispatch", {"cases": [mine[0].code]}).json()["refused"]  # not twice
    phone = post(client, f"/api/cases/{mine[1].code}/phone", {})
    assert phone.json() == {"phone": "13800007777"}
    assert AuditRecord.objects.filter(
        actor=cast.centre, action="view_sensitive", object_repr=mine[1].code
    ).exists()
    client.force_login(cast.worker)  # a grid worker makes no return calls
    assert post(client, f"/api/cases/{mine[1].code}/phone", {}).status_code == 403


def test_administrators_manage_scopes_and_accounts_through_the_api(client, town):
    admin, worker = staff(User.Role.ADMIN), grid_worker(town.units[0])
    leader = staff("leader")
    client.force_login(worker)
    assert post(client, f"/api/users/{leader.pk}/active", {"active": False}).status_code == 403
    client.force_login(admin)
    assert post(client, f"/api/users/{leader.pk}/scopes", {"grid": town.seconds[0].code}).status_code == 200
    assert leader.scopes.get().grid == town.seconds[0]
    assert post(client, f"/api/users/{leader.pk}/scopes", {"grid": "000"}).status_code == 422
    assert (
        client.delete(f"/api/users/{leader.pk}/scopes/{town.seconds[0].code}").status_code == 200
        and not leader.scopes.exists()
    )
    assert post(client, f"/api/users/{leader.pk}/active", {"active": False}).json()["is_active"] is False
    assert post(client, f"/api/users/{admin.pk}/active", {"active": False}).status_code == 422  # not oneself


def test_visit_coverage_through_the_api_within_jurisdiction(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    rows = client.get("/api/fieldwork/coverage", {"grid": town.units[0].code, "month": "2026-11"}).json()
    assert [r["grid"] for r in rows] == [town.units[0].code] and rows[0]["due"] >= 0
    assert client.get("/api/fieldwork/coverage", {"grid": town.units[7].code}).status_code == 404
    assert (
        client.get("/api/fieldwork/coverage", {"grid": town.units[0].code, "month": "2026-13"}).status_code
        == 422
    )
