import json
from datetime import timedelta

import pytest
from django.utils import timezone

from testkit import grid_worker
from wangge.accounts import services as accounts
from wangge.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_reads_the_api_and_only_its_hash_is_stored(client, town):
    worker = grid_worker(town.units[0])
    token, key = accounts.issue_token(worker, name="脚本")
    assert key.startswith("wg_") and key not in token.key_hash
    assert not ApiToken.objects.filter(key_hash=key).exists()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    me = client.get("/api/me", **auth)
    assert me.status_code == 200
    assert me.json()["jurisdiction"] == [town.units[0].code]
    assert client.get(f"/api/grids/{town.units[1].code}", **auth).status_code == 404


def test_revoked_or_expired_tokens_are_refused(client, town):
    worker = grid_worker(town.units[0])
    token, key = accounts.issue_token(worker, name="脚本")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    accounts.revoke_token(token, by=worker)
    assert client.get("/api/me", **auth).status_code == 401
    token2, key2 = accounts.issue_token(worker, name="过期")
    ApiToken.objects.filter(pk=token2.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key2}").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer wg_made_up").status_code == 401


def test_tokens_are_created_and_revoked_through_the_api_with_a_session(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    created = client.post("/api/tokens", json.dumps({"name": "同步"}), content_type="application/json")
    assert created.status_code == 201
    key = created.json()["key"]
    listed = client.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["同步"] and "key" not in listed[0]
    revoked = client.delete(f"/api/tokens/{created.json()['id']}")
    assert revoked.json()["revoked"] is not None
    client.logout()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_token_page_shows_the_key_once(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    page = client.post("/accounts/tokens/", {"name": "导出脚本", "days": 30}).content.decode()
    assert 'id="new-key"' in page
    again = client.get("/accounts/tokens/").content.decode()
    assert 'id="new-key"' not in again and "导出脚本" in again


def test_session_writes_need_csrf(town):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(grid_worker(town.units[0]))
    response = csrf_client.post("/api/tokens", json.dumps({"name": "x"}), content_type="application/json")
    assert response.status_code in (401, 403)
    assert not ApiToken.objects.exists()


def test_api_validation_errors_are_keyed_by_field_in_chinese(client, town):
    from testkit import staff
    from wangge.accounts.models import User

    client.force_login(staff(User.Role.ADMIN))
    response = client.post(
        "/api/grids",
        json.dumps(
            {
                "parent_code": town.thirds[0].code,
                "name": "坏边界",
                "level": "unit",
                "boundary": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "自相交" in response.json()["errors"]["boundary"][0]
    assert response.json()["code"] == "invalid" and "自相交" in response.json()["detail"]


def test_malformed_api_requests_get_chinese_field_errors(client, town):
    from testkit import staff
    from wangge.accounts.models import User

    client.force_login(staff(User.Role.ADMIN))
    response = client.post("/api/grids", json.dumps({"households": "many"}), content_type="application/json")
    assert response.status_code == 422
    body = response.json()["errors"]
    assert body["name"] == ["必填"] and body["level"] == ["必填"] and body["households"] == ["应为整数"]
    located = client.get("/api/locate", {"lon": "east", "lat": 27})
    assert located.status_code == 422 and located.json()["errors"] == {"lon": ["应为数字"]}
