"""SMS and WeChat leave through their providers' real clients (against a local fake provider), and a
notification the provider refuses is kept, counted and sent again on retry, never dropped."""

import pytest

from wangge.core import outbox
from wangge.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_an_sms_goes_out_through_tencent_cloud_signed_with_the_template_and_an_absolute_link(
    providers, settings
):
    settings.SITE_URL = "https://wangge.example.gov.cn"
    outbox.notify("case:1:receipt:sms", channel="sms", phone="13800001111", title="已受理",
                  body="AY-0001 已受理", link="/r/abc")  # fmt: skip
    assert outbox.deliver() == 1
    (call,) = providers.calls
    assert call.headers["X-TC-Action"] == "SendSms" and call.headers["Authorization"].startswith(
        "TC3-HMAC-SHA256"
    )
    assert "Credential=AKID-test/" in call.headers["Authorization"]  # signed with the configured key
    assert call.body["PhoneNumberSet"] == ["+8613800001111"]
    assert call.body["SmsSdkAppId"] == "1400000001" and call.body["SignName"] == "鳌阳镇网格"
    assert call.body["TemplateId"] == "100001"
    assert call.body["TemplateParamSet"] == ["AY-0001 已受理", "https://wangge.example.gov.cn/r/abc"]
    assert call.body["SessionContext"] == "case:1:receipt:sms"
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_refused_sms_is_kept_as_failed_shown_and_sent_again_on_retry(providers):
    providers.sms_code = "LimitExceeded.PhoneNumberDailyLimit"
    outbox.notify("case:2:receipt:sms", channel="sms", phone="13800002222", title="已受理")
    for _ in range(outbox.MAX_ATTEMPTS):
        assert outbox.deliver() == 0
    row = OutboxMessage.objects.get()
    assert row.sent_at is None and row.attempts == outbox.MAX_ATTEMPTS
    assert "LimitExceeded.PhoneNumberDailyLimit" in row.last_error
    assert list(outbox.failed()) == [row] and outbox.deliver() == 0  # not tried a ninth time by itself
    providers.sms_code = "Ok"
    assert outbox.retry(outbox.failed()) == 1 and outbox.deliver() == 1
    assert len(providers.calls) == outbox.MAX_ATTEMPTS + 1 and not outbox.failed().exists()


def test_a_wechat_template_message_reaches_the_bound_openid_with_one_shared_access_token(providers):
    for n in (1, 2):
        outbox.notify(f"case:{n}:dispatch:wechat", channel="wechat", phone="o-wechat-user-1",
                      title="新派遣的事件", body=f"AY-000{n} 路灯不亮", link="/cases/AY-0001/")  # fmt: skip
    assert outbox.deliver() == 2
    assert len(providers.of("/cgi-bin/token")) == 1  # fetched once, kept in the cache
    first, second = providers.of("/cgi-bin/message/template/send")
    assert first.query["access_token"] == ["token-1"]
    assert first.body["touser"] == "o-wechat-user-1" and first.body["template_id"] == "tpl-1"
    assert first.body["data"] == {
        "thing1": {"value": "新派遣的事件"},
        "thing2": {"value": "AY-0001 路灯不亮"},
    }
    assert first.body["url"].endswith("/cases/AY-0001/") and first.body["url"].startswith("http")


def test_a_wechat_error_is_kept_with_its_reason(providers):
    providers.wechat_errcode = 43004  # the user no longer follows the account
    outbox.notify("case:3:wechat", channel="wechat", phone="o-gone", title="新派遣的事件")
    assert outbox.deliver() == 0
    row = OutboxMessage.objects.get()
    assert row.sent_at is None and row.attempts == 1 and "43004" in row.last_error
