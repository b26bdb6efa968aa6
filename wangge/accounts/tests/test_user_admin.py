import json

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_admin_creates_a_leader_with_a_scope_who_then_sees_that_subtree(client, town):
    client.force_login(staff(User.Role.ADMIN))
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "lisi",
            "full_name": "李四",
            "phone": "13700001111",
            "role": "leader",
            "password": "Leader-pass-2026",
            "scopes": town.seconds[1].code,
        },
    )
    assert response.status_code == 302
    lisi = User.objects.get(username="lisi")
    assert AuditRecord.objects.filter(action="create", object_id=str(lisi.pk)).exists()
    client.force_login(lisi)
    assert client.get(town.units[-1].get_absolute_url()).status_code == 200
    assert client.get(town.units[0].get_absolute_url()).status_code == 404


def test_bad_user_form_input_writes_nothing(client, town):
    client.force_login(staff(User.Role.ADMIN))
    before = User.objects.count()
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "wangwu",
            "full_name": "王五",
            "phone": "123",
            "role": "leader",
            "password": "Leader-pass-2026",
            "scopes": "999999",
        },
    )
    assert "找不到网格：999999" in response.content.decode()
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "wangwu",
            "full_name": "王五",
            "phone": "123",
            "role": "leader",
            "password": "Leader-pass-2026",
        },
    )
    assert "手机号应为 11 位数字" in response.content.decode()
    assert User.objects.count() == before


def test_users_api_and_pages_are_for_administrators_only(client, town):
    client.force_login(grid_worker(town.units[0]))
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get("/api/users").status_code == 403
    client.force_login(staff(User.Role.ADMIN))
    created = client.post(
        "/api/users",
        json.dumps(
            {
                "username": "dept1",
                "role": "department_staff",
                "department": "police",
                "password": "Police-pass-2026",
                "scopes": [town.root.code],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["department"] == "police"
    listed = client.get(reverse("accounts:user_list"), {"q": "dept"}).content.decode()
    assert "dept1" in listed
    assert client.get(reverse("accounts:user_list"), {"format": "xlsx"}).status_code == 200


def test_disabling_an_account_stops_its_login(client, town):
    admin = staff(User.Role.ADMIN)
    worker = grid_worker(town.units[0], phone="13600002222")
    client.force_login(admin)
    client.post(reverse("accounts:user_toggle_active", args=[worker.pk]))
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": "13600002222", "password": "Secret-pass-2026"}
    )
    assert response.status_code == 200 and "不正确" in response.content.decode()
