import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testkit import UserFactory, grid_worker
from wangge.accounts.models import User
from wangge.core.excel import write_workbook
from wangge.registry.models import Person
from wangge.registry.tests.factories import citizen_id, household_with_people

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_archive_can_be_written_through_the_api(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    hh = post(client, "/api/households", {"grid_code": unit.code, "address": "接口路1号"}).json()
    body = {
        "name": "接口人",
        "id_number": citizen_id(),
        "household_id": hh["id"],
        "relation": "head",
        "client_id": "c-9",
    }
    first = post(client, "/api/persons", body)
    again = post(client, "/api/persons", body)
    assert first.status_code == 201 and again.status_code == 200 and first.json()["id"] == again.json()["id"]
    pid = first.json()["id"]
    hz = post(client, f"/api/households/{hh['id']}/hazards", {"kind": "gas"})
    assert hz.status_code == 201
    fixed = post(client, f"/api/hazards/{hz.json()['id']}/fix", {"fixed_by": "燃气公司"}).json()
    assert fixed["state"] == "fixed"
    g = post(client, f"/api/persons/{pid}/groups", {"group": "veteran"})
    assert g.status_code == 201
    ended = post(client, f"/api/persons/{pid}/groups/{g.json()['id']}/end", {})
    assert ended.json()["end"] is not None
    assert (
        post(client, "/api/households", {"grid_code": town.units[1].code, "address": "x"}).status_code == 404
    )


def test_resident_proposal_and_worker_decision_through_the_api(client, town):
    hh, (head, spouse) = household_with_people(town.units[0])
    resident = UserFactory(role=User.Role.RESIDENT, phone=head.phone)
    client.force_login(resident)
    made = post(client, "/api/me/proposals", {"person_id": spouse.pk, "values": {"occupation": "护士"}})
    assert made.status_code == 201 and made.json()["difference"][0][2] == "护士"
    client.force_login(grid_worker(town.units[0]))
    [pending] = client.get("/api/proposals").json()
    post(client, f"/api/proposals/{pending['id']}/decide", {"accept": True})
    assert Person.objects.get(pk=spouse.pk).occupation == "护士"
    client.force_login(grid_worker(town.units[1]))
    assert client.get("/api/proposals").json() == []


def test_ledger_import_through_the_api(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    content = write_workbook(
        ["网格编码", "户号", "姓名", "证件号码"], [[unit.code, "API1", "接口导入", citizen_id()]]
    )
    job = client.post("/api/imports", {"file": SimpleUploadedFile("a.xlsx", content)})
    assert job.status_code == 202 and job.json()["status"] == "checked" and job.json()["report"]["ok"]
    done = client.post(f"/api/imports/{job.json()['id']}/commit")
    assert done.json()["status"] == "done" and Person.objects.filter(name="接口导入").exists()
    client.force_login(grid_worker(unit))
    assert client.get(f"/api/imports/{job.json()['id']}").status_code == 404
    bad = client.post(
        "/api/imports", {"file": SimpleUploadedFile("b.xlsx", write_workbook(["姓名"], [["x"]]))}
    )
    assert bad.status_code == 422 and "缺少必填列" in bad.json()["errors"]["file"][0]
