"""The outbox: in-site messages delivered a batch at a time, once; a unit's people found at once."""

import pytest
from django.urls import reverse

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.cases.tests.helpers import Cast
from wangge.core import outbox
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db


def test_site_messages_are_delivered_a_batch_at_a_time_and_once(town):
    cast = Cast(town)
    people = set(accounts.unit_users(town.units[0].pk).values_list("pk", flat=True))
    assert cast.worker.pk in people
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(25)])
    outbox.notify("to-one", user=cast.centre, title="只给中心")
    assert outbox.deliver(limit=1000, batch=10) == 26
    assert Message.objects.filter(outbox_key__startswith="k").count() == 25 * len(people)
    assert Message.objects.filter(user=cast.worker, title="t7").count() == 1
    assert list(Message.objects.filter(outbox_key__startswith="to-one").values_list("user", flat=True)) == [
        cast.centre.pk
    ]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert outbox.deliver() == 0  # sent once
    # a unit nobody holds yet: the row is sent, with no one to tell
    outbox.notify("empty", grid_id=town.units[7].pk, title="无人")
    User.objects.filter(pk__in=accounts.unit_users(town.units[7].pk)).update(is_active=False)
    assert outbox.deliver() == 1 and not Message.objects.filter(outbox_key__startswith="empty").exists()


def test_the_limit_bounds_one_delivery_run(town):
    Cast(town)
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(7)])
    assert outbox.deliver(limit=5, batch=2) == 5
    assert outbox.deliver(limit=5, batch=2) == 2


def test_the_delivery_task_runs_until_nothing_is_pending(town):
    from wangge.core.tasks import deliver_outbox

    Cast(town)
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(7)])
    assert deliver_outbox.call(limit=3) == 7
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_people_of_several_units_are_found_at_once_as_one_by_one(town):
    from wangge.accounts.models import Department

    cast = Cast(town)
    User.objects.filter(pk=cast.other_worker.pk).update(is_active=False)  # gone: told no more
    housing = Department.objects.get(key="housing").pk
    units = {(town.units[0].pk, None), (town.units[7].pk, None), (town.root.pk, None), (None, housing)}
    found = accounts.unit_people(units)
    for grid_id, department_id in units:
        one_by_one = accounts.unit_users(grid_id, department_id).values_list("pk", flat=True)
        assert sorted(found[(grid_id, department_id)]) == sorted(one_by_one)
    assert cast.worker.pk in found[(town.units[0].pk, None)] and found[(town.units[7].pk, None)] == []
    assert found[(None, housing)] == [cast.housing.pk]
    assert cast.centre.pk in found[(town.root.pk, None)]


@pytest.mark.django_db
def test_a_notification_that_fails_eight_times_is_kept_shown_and_sent_again_on_retry(client, settings):
    settings.SMS_ADAPTER = "wangge.core.tests.test_outbox_delivery.FailingAdapter"
    outbox.notify("fail:1", title="办理进展", phone="13800001111", channel="sms")
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.deliver()
    row = OutboxMessage.objects.get(key="fail:1")
    assert row.sent_at is None and row.attempts == outbox.MAX_ATTEMPTS and "短信平台" in row.last_error
    assert list(outbox.failed()) == [row]
    admin = User.objects.create(username="ops", role="admin")
    client.force_login(admin)
    page = client.get(reverse("health")).content.decode()
    assert "发送失败的通知：1 条" in page and "短信平台" in page and "13800001111" not in page
    settings.SMS_ADAPTER = "wangge.core.outbox.RecordingAdapter"
    outbox.RecordingAdapter.sent.clear()
    client.post(reverse("health"), {"ids": [row.pk]})
    outbox.deliver()
    row.refresh_from_db()
    assert row.sent_at is not None and outbox.RecordingAdapter.sent[0]["key"] == "fail:1"
    # only an administrator sees the page
    client.force_login(User.objects.create(username="clerk", role="community_staff"))
    assert client.get(reverse("health")).status_code == 403


class FailingAdapter:
    def send(self, **kw):
        raise RuntimeError("短信平台返回 isv.BUSINESS_LIMIT_CONTROL")


def test_links_in_an_sms_are_absolute_and_short(town, settings):
    from wangge.cases.tests.helpers import report

    settings.SITE_URL = "https://wg.shouning.gov.cn"
    outbox.RecordingAdapter.sent.clear()
    case = report(town.units[0], reporter_phone="13800002468")
    outbox.deliver()
    [sms] = [m for m in outbox.RecordingAdapter.sent if m["phone"] == "13800002468"]
    assert sms["link"] == f"https://wg.shouning.gov.cn/r/{case.token}"
    assert len(sms["link"]) <= 45  # fits an SMS beside its text


def test_the_message_centre_through_the_api_is_each_users_own(client, town):
    cast = Cast(town)
    for k in range(3):
        outbox.notify(f"api-msg-{k}", user=cast.worker, title=f"消息{k}")
    outbox.notify("api-msg-other", user=cast.centre, title="中心的消息")
    outbox.deliver()
    client.force_login(cast.worker)
    mine = client.get("/api/messages").json()
    assert mine["count"] == 3 and mine["unread"] == 3 and "中心的消息" not in str(mine)

    def read(ids):
        return client.post("/api/messages/read", {"ids": ids}, content_type="application/json").json()

    assert read([mine["items"][0]["id"]])["unread"] == 2
    others = Message.objects.get(title="中心的消息").pk
    read([others])
    assert Message.objects.get(pk=others).read_at is None  # not the worker's to mark
    assert read([])["unread"] == 0
