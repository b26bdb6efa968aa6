"""A local fake of the outside services the platform talks to (Tencent Cloud SMS, the WeChat Official
Account API): a real HTTP server on 127.0.0.1 that answers as the provider documents and remembers what
it was sent. The adapters' real request code runs against it; no provider is called."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict


@dataclass
class FakeProviders:
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    sms_code: str = "Ok"  # what SendSms answers for each number: "Ok" or a provider error code
    wechat_errcode: int = 0
    openid: str = "o-wechat-user-1"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def of(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def answer(self, call: Call) -> dict:
        if call.headers.get("X-TC-Action") == "SendSms":
            message = "send success" if self.sms_code == "Ok" else "over the limit"
            context = call.body.get("SessionContext", "")
            statuses = [
                {"SerialNo": "s-1", "PhoneNumber": n, "Fee": 1, "SessionContext": context,
                 "Code": self.sms_code, "Message": message, "IsoCode": "CN"}
                for n in call.body["PhoneNumberSet"]
            ]  # fmt: skip
            return {"Response": {"RequestId": "req-1", "SendStatusSet": statuses}}
        if call.path == "/cgi-bin/token":
            return {"access_token": "token-1", "expires_in": 7200}
        if call.path == "/cgi-bin/message/template/send":
            if self.wechat_errcode:
                return {"errcode": self.wechat_errcode, "errmsg": "require subscribe"}
            return {"errcode": 0, "errmsg": "ok", "msgid": 1}
        if call.path == "/sns/oauth2/access_token":
            if call.query.get("code") != ["good-code"]:
                return {"errcode": 40029, "errmsg": "invalid code"}
            return {"access_token": "a", "expires_in": 7200, "refresh_token": "r", "openid": self.openid,
                    "scope": "snsapi_base"}  # fmt: skip
        return {"error": "unknown"}


def start() -> tuple[FakeProviders, ThreadingHTTPServer]:
    fake = FakeProviders()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            call = Call(self.command, url.path, parse_qs(url.query), dict(self.headers.items()),
                        json.loads(raw) if raw else {})  # fmt: skip
            fake.calls.append(call)
            payload = json.dumps(fake.answer(call)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
