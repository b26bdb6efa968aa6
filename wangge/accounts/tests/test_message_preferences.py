"""Each person chooses which messages also reach them by SMS or WeChat; the site always has them, and a
worker's 170 unread messages come grouped by case."""

import pytest
from django.urls import reverse

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.cases.tests.helpers import Cast, report
from wangge.core import outbox
from wangge.core.models import Message, MessageKind, OutboxMessage

pytestmark = pytest.mark.django_db


def sent_by(channel):
    return sorted(
        OutboxMessage.objects.filter(channel=channel, sent_at__isnull=False).values_list("key", flat=True)
    )


def test_a_worker_who_chose_sms_for_their_work_gets_one_and_the_others_only_the_site(town, providers):
    cast = Cast(town)
    others = [u for u in accounts.unit_users(grid_id=town.units[0].pk) if u != cast.worker]
    cast.worker.phone = "13900001111"
    cast.worker.save()
    accounts.set_preferences(cast.worker, {MessageKind.WORK: (True, False)})
    case = report(town.units[0])
    outbox.deliver()
    key = f"case:{case.pk}:new"
    assert Message.objects.filter(outbox_key=f"{key}:{cast.worker.pk}").exists()
    assert sent_by("sms") == [f"{key}:{cast.worker.pk}:sms"]  # the worker's SMS, no one else's
    (call,) = [c for c in providers.calls if c.headers.get("X-TC-Action") == "SendSms"]
    assert call.body["PhoneNumberSet"] == ["+8613900001111"]
    assert all(Message.objects.filter(user=u, outbox_key=f"{key}:{u.pk}").exists() for u in others)


def test_a_resident_hears_of_their_report_by_sms_until_they_say_no(client, town, providers):
    resident = User.objects.create_user(
        "resident-1", password="x-Pass-2026", role="resident", phone="13900002222"
    )
    client.force_login(resident)
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "我反映的问题的进展" in page and 'name="my_report:sms" value="1" checked' in page
    case = report(town.units[0], by=resident, reporter_phone="13900002222")
    outbox.deliver()
    # the receipt: in the message centre and by SMS once (to the account, not again to the case's phone)
    assert sent_by("sms") == [f"case:{case.pk}:receipt:site:{resident.pk}:sms"]
    client.post(reverse("accounts:notifications"), {})  # every box unticked
    assert not any(c.sms for c in accounts.preferences(resident))
    second = report(town.units[0], by=resident, reporter_phone="13900002222")
    outbox.deliver()
    assert len(sent_by("sms")) == 1
    assert Message.objects.filter(user=resident, link__contains=second.token).exists()


def test_sms_needs_a_phone_and_wechat_a_bound_wechat(client, town):
    worker = Cast(town).worker
    worker.phone = None
    worker.save()
    with pytest.raises(Exception, match="没有手机号"):
        accounts.set_preferences(worker, {MessageKind.WORK: (True, False)})
    with pytest.raises(Exception, match="还没有绑定微信"):
        accounts.set_preferences(worker, {MessageKind.WORK: (False, True)})
    client.force_login(worker)
    answer = client.post(reverse("accounts:notifications"), {"work:sms": "1"}).content.decode()
    assert "没有手机号" in answer and not worker.message_preferences.exists()


def test_binding_wechat_signs_in_with_wechat_and_then_work_comes_by_wechat(client, town, providers):
    cast = Cast(town)
    client.force_login(cast.worker)
    away = client.post(reverse("accounts:wechat_bind"))
    assert away.status_code == 302 and away["Location"].startswith(f"http://{providers.address}/connect/")
    assert "appid=wx-test" in away["Location"] and "scope=snsapi_base" in away["Location"]
    state = client.session["wechat_state"]
    # a code that was not sent to us: nothing bound
    bad = client.get(
        reverse("accounts:wechat_callback"), {"code": "good-code", "state": "forged"}, follow=True
    )
    assert "已过期或不是从本站发起" in bad.content.decode()
    client.post(reverse("accounts:wechat_bind"))
    state = client.session["wechat_state"]
    done = client.get(reverse("accounts:wechat_callback"), {"code": "good-code", "state": state}, follow=True)
    assert "已绑定微信" in done.content.decode()
    cast.worker.refresh_from_db()
    assert cast.worker.wechat_openid == providers.openid
    case = report(town.units[0])
    outbox.deliver()
    (sent,) = providers.of("/cgi-bin/message/template/send")
    assert sent.body["touser"] == providers.openid and sent.body["url"].endswith(case.get_absolute_url())
    # one WeChat, one account
    other = cast.centre
    client.force_login(other)
    client.post(reverse("accounts:wechat_bind"))
    state = client.session["wechat_state"]
    again = client.get(reverse("accounts:wechat_callback"), {"code": "good-code", "state": state})
    again = client.get(again["Location"])
    assert "这个微信已绑定其他账号" in again.content.decode()
    other.refresh_from_db()
    assert other.wechat_openid is None


def test_unread_messages_come_one_line_per_case_and_can_be_read_a_case_at_a_time(client, town):
    worker = Cast(town).worker
    for n in range(3):
        outbox.notify(f"a:{n}", user=worker, title=f"甲事件第{n + 1}条", link="/cases/A/")
    for n in range(2):
        outbox.notify(f"b:{n}", user=worker, title=f"乙事件第{n + 1}条", link="/cases/B/")
    outbox.deliver()
    groups = outbox.with_titles(outbox.digest(worker))
    assert [(g["link"], g["count"]) for g in groups] == [("/cases/B/", 2), ("/cases/A/", 3)]
    assert groups[0]["title"] == "乙事件第2条"
    client.force_login(worker)
    page = client.get(reverse("messages")).content.decode()
    assert "乙事件第2条" in page and "乙事件第1条" not in page and "全部 5 条标为已读" in page
    client.post(reverse("messages"), {"link": "/cases/A/"})
    assert [g["link"] for g in outbox.digest(worker)] == ["/cases/B/"]
    listing = client.get("/api/messages/digest").json()
    assert listing["unread"] == 2 and listing["items"][0]["count"] == 2
    assert (
        client.post("/api/messages/read", {"link": "/cases/B/"}, content_type="application/json").json()[
            "unread"
        ]
        == 0
    )
