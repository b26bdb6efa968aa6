"""Real providers behind the outbox's SMS and WeChat channels, through their official clients.

- `TencentSms`: Tencent Cloud SMS (腾讯云短信, used by many government platforms) through
  `tencentcloud-sdk-python-sms`: one SendSms per notification with the site's approved signature and
  template. The template takes two parameters: what happened ({1}) and the link ({2}).
- `WeChatTemplate`: a WeChat Official Account (公众号) template message through `wechatpy`, to the
  openid a user bound by signing in with WeChat; the message opens the link.

Both are configured from the environment (docs/deploy.md) and raise on anything but success, so the
outbox keeps the row, counts the attempt and tries again; after MAX_ATTEMPTS it waits on the health page
for an administrator's retry. Each provider's base address is a setting too: the tests point it at a
local fake server, so the adapter's real request code runs and no provider is called."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.session import SessionStorage


def _param(text: str) -> str:
    """A template parameter within the provider's length limit."""
    limit = settings.SMS_PARAM_MAX
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TencentSms:
    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import models, sms_client

        cfg = settings.TENCENT_SMS
        http = HttpProfile(protocol=cfg["scheme"], endpoint=cfg["endpoint"], reqTimeout=15)
        client = sms_client.SmsClient(
            credential.Credential(cfg["secret_id"], cfg["secret_key"]),
            cfg["region"],
            ClientProfile(httpProfile=http),
        )
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone if phone.startswith("+") else f"+86{phone}"]
        request.SmsSdkAppId = cfg["app_id"]
        request.SignName = cfg["sign"]
        request.TemplateId = cfg["template_id"]
        request.TemplateParamSet = [_param(body or title), link]
        request.SessionContext = key  # comes back in delivery receipts: which notification this was
        answer = client.SendSms(request)  # raises TencentCloudSDKException on an error answer
        status = answer.SendStatusSet[0] if answer.SendStatusSet else None
        if status is None or status.Code != "Ok":
            raise RuntimeError(f"{status.Code}: {status.Message}" if status else "no send status")


class _SharedSession(SessionStorage):
    """The access token in Django's cache, shared by every worker: WeChat allows 2,000 token requests a
    day, and each new token cancels the last one."""

    def get(self, key, default=None):
        return cache.get(f"wechat:{key}", default)

    def set(self, key, value, ttl=None):
        cache.set(f"wechat:{key}", value, None if ttl is None else max(int(ttl) - 300, 60))

    def delete(self, key):
        cache.delete(f"wechat:{key}")


class _OfficialAccount(WeChatClient):
    """wechatpy's client with its addresses from settings (the tests' fake server, or WeChat's own)."""

    def __init__(self) -> None:
        cfg = settings.WECHAT
        self.API_BASE_URL = f"{cfg['api_base']}cgi-bin/"
        super().__init__(cfg["app_id"], cfg["app_secret"], session=_SharedSession(), timeout=15)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WeChatTemplate:
    def send(self, *, key: str, phone: str, title: str, body: str, link: str) -> None:
        cfg = settings.WECHAT
        title_field, body_field = cfg["template_fields"]
        data = {title_field: {"value": _param(title)}, body_field: {"value": _param(body or title)}}
        # `phone` is the row's address on its channel: for WeChat, the user's openid
        _OfficialAccount().message.send_template(phone, cfg["template_id"], data, url=link or None)


def wechat_openid(code: str) -> str:
    """The openid of the WeChat user who just signed in on the Official Account's web page (the `code`
    WeChat sent back to our callback), through wechatpy's OAuth client."""
    cfg = settings.WECHAT
    oauth = WeChatOAuth(cfg["app_id"], cfg["app_secret"], redirect_uri="", scope="snsapi_base")
    oauth.API_BASE_URL = cfg["api_base"]
    answer = oauth.fetch_access_token(code)
    return answer["openid"]


def wechat_authorize_url(redirect_uri: str, state: str) -> str:
    """Where to send the user to sign in with WeChat (inside WeChat's browser)."""
    cfg = settings.WECHAT
    oauth = WeChatOAuth(cfg["app_id"], cfg["app_secret"], redirect_uri=redirect_uri, scope="snsapi_base",
                        state=state)  # fmt: skip
    oauth.OAUTH_BASE_URL = cfg["oauth_base"]
    return oauth.authorize_url
