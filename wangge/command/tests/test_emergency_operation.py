"""应急行动: started from an area search, its checklist worked from phones (a retried update stored once, a
late offline update not overwriting a newer one), shelters counted against their capacity, a notice sent
by SMS to the area's households once each, closed with its summary kept; every door in the jurisdiction."""

import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.command import services
from wangge.command.models import Check, CheckUpdate, Operation, Shelter
from wangge.command.tests.places import resident, square_around
from wangge.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def operation(scene, town):
    """A typhoon drill over unit 0's middle and the far unit (a polygon round both), by the town's centre,
    with a school hall for two."""
    centre = staff("centre_staff", scope=town.root)
    hall = Shelter.objects.create(grid=scene["unit"], name="中心小学礼堂", capacity=2)
    area = services.area_from(centre, grid_codes=[scene["unit"].code, scene["far"].code])
    op = services.start_operation(centre, area, title="台风演练", kind="typhoon", drill=True,
                                  shelter_ids=[hall.pk])  # fmt: skip
    return {"op": op, "centre": centre, "hall": hall}


def line(op, person) -> Check:
    return op.checks.get(person=person)


def post_check(client, op, check, **fields):
    url = reverse("command:check_update", args=[op.pk, check.pk])
    return client.post(url, fields, HTTP_ACCEPT="application/json")


def test_starting_from_the_area_page_lists_everyone_to_reach(client, scene, town):
    centre = staff("centre_staff", scope=town.root)
    client.force_login(centre)
    query = {"mode": "polygon", "polygon": json.dumps(square_around(scene["lon"], scene["lat"], 0.003))}
    page = client.get(reverse("command:emergency_area"), query).content.decode()
    assert "按此范围发起应急行动" in page
    start = reverse("command:operation_start") + "?" + urlencode(query)
    started = client.post(start, {"title": "台风贝碧嘉", "kind": "typhoon"})
    op = Operation.objects.get()
    assert started.status_code == 302 and started.url == reverse("command:operation_detail", args=[op.pk])
    assert {(c.person.name, c.located) for c in op.checks.all()} == {
        ("王老伯", True),
        ("李阿婆", True),
        ("陈奶奶", False),  # the one without a point, to check on site
    }
    assert [h["address"] for h in op.houses] == [scene["danger"].address]
    detail = client.get(started.url).content.decode()
    assert "王老伯" in detail and "139****5678" in detail and "13912345678" not in detail
    assert "位置未标注" in detail and scene["danger"].address in detail
    nameless = client.post(start, {"title": " ", "kind": "typhoon"})
    assert nameless.status_code == 302 and "请填写行动名称" in client.get(nameless.url).content.decode()
    assert Operation.objects.count() == 1


def test_a_worker_sees_and_updates_only_their_own_grids_lines(client, scene, town, operation):
    op = operation["op"]
    near, far = grid_worker(scene["unit"]), grid_worker(scene["far"])
    client.force_login(far)
    page = client.get(reverse("command:operation_detail", args=[op.pk])).content.decode()
    assert "周师傅" in page and "王老伯" not in page  # the operation, but only the far unit's lines
    refused = post_check(client, op, line(op, scene["alone"]), state="contacted", client_id="x1")
    assert refused.status_code == 404 and line(op, scene["alone"]).state == "not_contacted"
    export = client.get(reverse("command:operation_detail", args=[op.pk]), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["周师傅"]
    outsider = grid_worker(town.units[5])  # a unit the area did not touch
    client.force_login(outsider)
    assert client.get(reverse("command:operation_detail", args=[op.pk])).status_code == 404
    assert "台风演练" not in client.get(reverse("command:operation_list")).content.decode()
    client.force_login(near)
    assert (
        post_check(client, op, line(op, scene["alone"]), state="contacted", client_id="x1").status_code == 200
    )
    assert line(op, scene["alone"]).state == "contacted"


def test_a_retried_update_is_stored_once_and_a_late_one_does_not_overwrite(client, scene, operation):
    op, hall = operation["op"], operation["hall"]
    client.force_login(grid_worker(scene["unit"]))
    check = line(op, scene["alone"])
    now = timezone.now()
    moved = {"state": "moved", "shelter": hall.pk, "client_id": "phone-1", "noted_at": now.isoformat()}
    first, again = post_check(client, op, check, **moved), post_check(client, op, check, **moved)
    assert first.status_code == again.status_code == 200 and first.json()["id"] == again.json()["id"]
    assert CheckUpdate.objects.filter(check_line=check).count() == 1
    # an update pressed earlier on another phone, kept offline, arrives after: history, not the state
    earlier = (now - timedelta(minutes=20)).isoformat()
    late = post_check(client, op, check, state="unreachable", client_id="phone-2", noted_at=earlier)
    assert late.status_code == 200 and CheckUpdate.objects.filter(check_line=check).count() == 2
    check.refresh_from_db()
    assert check.state == "moved" and check.shelter == hall


def test_moving_needs_a_shelter_with_room_and_a_closed_operation_takes_no_more(client, scene, operation):
    op, hall = operation["op"], operation["hall"]
    client.force_login(grid_worker(scene["unit"]))
    no_shelter = post_check(client, op, line(op, scene["alone"]), state="moved", client_id="a")
    assert no_shelter.status_code == 400 and "请选择安置点" in no_shelter.json()["errors"]["shelter"][0]
    for n, who in enumerate(["alone", "bedridden"]):
        assert post_check(client, op, line(op, scene[who]), state="moved", shelter=hall.pk,
                          client_id=f"m{n}").status_code == 200  # fmt: skip
    full = post_check(client, op, line(op, scene["unplaced"]), state="moved", shelter=hall.pk, client_id="m3")
    assert full.status_code == 400 and "已满（容纳 2 人）" in full.json()["errors"]["shelter"][0]
    services.close_operation(op, by=operation["centre"])
    closed = post_check(client, op, line(op, scene["unplaced"]), state="contacted", client_id="c")
    assert closed.status_code == 400 and "已结束" in closed.json()["errors"]["operation"][0]


def test_a_notice_reaches_each_household_in_the_area_once(client, scene, town, operation):
    op = operation["op"]
    resident(town.units[3], "远方户", None, point=(0.0, 0.0))  # outside the area: no SMS
    client.force_login(operation["centre"])
    url = reverse("command:operation_notice", args=[op.pk])
    client.post(url, {"text": "台风将于今晚登陆，请留在室内，需转移的请联系网格员。"})
    sent = OutboxMessage.objects.filter(channel="sms", key__startswith="notice-")
    # every household of the two units with a phone (all set one), and nobody else
    expected = {p.household_id for p in [scene["alone"], scene["bedridden"], scene["poor"], scene["unplaced"],
                                          scene["far_person"]]}  # fmt: skip
    assert sent.count() >= len(expected) and len({m.key for m in sent}) == sent.count()
    assert op.notices.get().households == sent.count()
    assert not sent.filter(body__contains="远方户").exists()
    empty = client.post(url, {"text": ""}, follow=True)
    assert "请填写通知内容" in empty.content.decode()
    assert op.notices.count() == 1


def test_closing_keeps_the_summary_and_the_board_counts_per_grid(client, scene, operation):
    op, hall = operation["op"], operation["hall"]
    worker = grid_worker(scene["unit"])
    services.record_check(line(op, scene["alone"]), state="moved", shelter_id=hall.pk, by=worker)
    services.record_check(line(op, scene["bedridden"]), state="refused", note="家人陪护", by=worker)
    services.record_check(line(op, scene["unplaced"]), state="unreachable", by=worker)
    board = services.board(None, op)
    assert board.total == 4 and board.done == 2 and board.totals["not_contacted"] == 1  # 周师傅, far unit
    assert board.shelters[0]["in"] == 1
    client.force_login(operation["centre"])
    client.post(reverse("command:operation_close", args=[op.pk]), {"note": "演练顺利，陈奶奶需补登位置。"})
    op.refresh_from_db()
    assert op.status == "closed" and op.summary["people"] == 4 and op.summary["settled"] == 2
    assert op.summary["still_open"] == 2
    assert op.summary["shelters"] == [{"name": "中心小学礼堂", "capacity": 2, "in": 1}]
    page = client.get(reverse("command:operation_detail", args=[op.pk])).content.decode()
    assert "行动总结" in page and "陈奶奶需补登位置" in page and "check-form" not in page
    # the summary is kept as it was: a later change of the register does not rewrite it
    Check.objects.filter(operation=op).update(state="moved")
    op.refresh_from_db()
    assert op.summary["settled"] == 2
    again = client.post(reverse("command:operation_close", args=[op.pk]), {"note": ""}, follow=True)
    assert "已结束" in again.content.decode()


def test_a_grid_worker_may_work_but_not_start_or_close(client, scene, operation):
    op = operation["op"]
    client.force_login(grid_worker(scene["unit"]))
    assert client.post(reverse("command:operation_close", args=[op.pk])).status_code == 403
    assert client.post(reverse("command:operation_notice", args=[op.pk]), {"text": "x"}).status_code == 403
    board = client.get(reverse("command:operation_detail", args=[op.pk]), {"part": "board"},
                       HTTP_HX_REQUEST="true")  # fmt: skip
    assert (
        board.status_code == 200
        and 'id="board"' in board.content.decode()
        and "<html" not in board.content.decode()
    )


def test_the_api_lists_and_updates_the_checklist_idempotently(client, scene, operation):
    op = operation["op"]
    client.force_login(grid_worker(scene["unit"]))
    mine = client.get("/api/command/operations").json()
    assert [(o["title"], o["people"]) for o in mine] == [("台风演练", 3)]  # the unit's three, not 周师傅
    checks = {c["name"]: c for c in client.get(f"/api/command/operations/{op.pk}/checks").json()}
    assert set(checks) == {"王老伯", "李阿婆", "陈奶奶"} and checks["王老伯"]["phone"] == "139****5678"
    url = f"/api/command/operations/{op.pk}/checks/{checks['王老伯']['id']}"
    body = {"state": "contacted", "note": "已电话确认", "client_id": "app-7"}
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    bad = client.post(url, {"state": "gone", "client_id": "app-8"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["codes"]["state"] == ["unknown"]
    far_line = line(op, scene["far_person"]).pk  # another grid's line: as if it did not exist
    other = client.post(
        f"/api/command/operations/{op.pk}/checks/{far_line}", body, content_type="application/json"
    )
    assert other.status_code == 404


def test_a_plain_form_returns_to_its_operation_and_nowhere_else(client, scene, operation):
    op = operation["op"]
    client.force_login(grid_worker(scene["unit"]))
    url = reverse("command:check_update", args=[op.pk, line(op, scene["alone"]).pk])
    page = reverse("command:operation_detail", args=[op.pk])
    kept = client.post(url, {"state": "contacted", "client_id": "f1", "next": f"{page}?state=contacted"})
    assert kept.url == f"{page}?state=contacted"
    away = client.post(url, {"state": "contacted", "client_id": "f2", "next": "https://evil.example/"})
    assert away.url == page
