"""12345 answers both ways: the hotline pulls them through the API, or the platform pushes each one to a
configured endpoint through the outbox (retried until it answers 2xx). A local HTTP server stands in for
the hotline's system: the adapter's own request code runs."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from wangge.cases import hotline
from wangge.cases import services as cases
from wangge.cases.tests.helpers import Cast, inside
from wangge.core import outbox
from wangge.core.excel import write_workbook
from wangge.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def answered(town, cast, number="HA-1"):
    rows = [
        [number, "2026-12-01T09:00:00+08:00", "王", "13800006666", "胜利街9号", "路灯不亮", "路灯不亮", ""]
    ]
    (case,) = hotline.import_orders(write_workbook(hotline.COLUMNS, rows)).imported
    lon, lat = inside(town.units[0])
    cases.place(case, by=cast.centre, lon=lon, lat=lat)
    cases.accept(case, by=cast.centre)
    cases.dispatch(case, by=cast.centre)
    cases.handle(case, by=cast.housing, comment="已更换灯泡")
    cases.verify(case, by=cast.centre, passed=True)
    return case


def test_the_hotline_pulls_the_answers_in_its_own_fields(client, town):
    cast = Cast(town)
    answered(town, cast)
    client.force_login(cast.centre)
    got = client.get("/api/cases/hotline/answers", {"since": "2026-01-01T00:00:00+08:00"}).json()
    assert got["count"] == 1
    item = got["items"][0]
    assert item["工单编号"] == "HA-1" and item["办理结果"] == "已解决" and item["办理情况"] == "已更换灯泡"
    assert item["答复时间"] and item["是否联系诉求人"] == "否"
    assert client.get("/api/cases/hotline/answers", {"since": "2099-01-01T00:00:00Z"}).json()["count"] == 0
    client.force_login(cast.worker)  # not the hotline desk
    assert client.get("/api/cases/hotline/answers").status_code == 403


class FakeHotline(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if FakeHotline.fail_first:
            FakeHotline.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        FakeHotline.received.append((dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_hotline(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeHotline)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeHotline.received, FakeHotline.fail_first = [], 1
    settings.HOTLINE_ANSWER_URL = f"http://127.0.0.1:{server.server_port}/answers"
    settings.HOTLINE_ANSWER_TOKEN = "secret-token"
    settings.HOTLINE_ADAPTER = "wangge.core.outbox.JsonPostAdapter"
    yield FakeHotline
    server.shutdown()


def test_each_answer_is_pushed_once_and_retried_until_the_hotline_takes_it(town, fake_hotline):
    cast = Cast(town)
    case = answered(town, cast, number="HA-2")
    row = OutboxMessage.objects.get(channel="hotline")
    outbox.deliver()  # the hotline's system is down once: kept, with the reason
    row.refresh_from_db()
    assert row.sent_at is None and "503" in row.last_error and fake_hotline.received == []
    outbox.deliver()
    row.refresh_from_db()
    assert row.sent_at is not None
    [(headers, body)] = fake_hotline.received
    assert body["工单编号"] == "HA-2" and body["办理情况"] == "已更换灯泡"
    assert headers["Idempotency-Key"] == row.key and headers["Authorization"] == "Bearer secret-token"
    outbox.deliver()
    assert len(fake_hotline.received) == 1  # once
    assert case.status == "closed"
