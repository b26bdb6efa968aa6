import re

import pytest
from django.test import override_settings
from django.urls import reverse

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
PASSWORD = "Grid-worker-2026"


@pytest.fixture
def worker():
    return accounts.create_user(
        username="wangfang",
        password=PASSWORD,
        role=User.Role.GRID_WORKER,
        full_name="王芳",
        phone="13912345678",
    )


def test_login_page_is_chinese(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "手机号或用户名" in page and "密码" in page


def test_log_in_with_phone_or_username(client, worker):
    for login in ("13912345678", "wangfang"):
        response = client.post(reverse("accounts:login"), {"username": login, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get(reverse("grids:tree")).status_code == 200
        client.logout()


def test_wrong_password_says_so_in_chinese(client, worker):
    response = client.post(reverse("accounts:login"), {"username": "wangfang", "password": "nope"})
    assert "手机号/用户名或密码不正确" in response.content.decode()
    assert AuditRecord.objects.filter(action="login_failed", object_id=str(worker.pk)).exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_name_is_throttled_from_one_address_without_locking_it_out_elsewhere(client, worker):
    from django.test import Client

    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "wangfang", "password": "wrong"})
    refused = client.post(reverse("accounts:login"), {"username": "wangfang", "password": PASSWORD})
    assert refused.status_code == 429 and "登录失败次数过多" in refused.content.decode()
    assert client.get(reverse("grids:tree")).status_code == 302  # still logged out
    # the stranger's failures do not lock the worker out from the worker's own address
    own = Client(REMOTE_ADDR="10.1.2.3")
    mine = own.post(reverse("accounts:login"), {"username": "wangfang", "password": PASSWORD})
    assert mine.status_code == 302
    # an unknown name is answered exactly as a known one
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "nobody-here", "password": "wrong"})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody-here", "password": "x"})
    assert unknown.status_code == refused.status_code

    def page(response) -> str:  # less what differs on every response (the masked CSRF tokens)
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", response.content.decode())

    assert page(unknown).replace("nobody-here", "wangfang") == page(refused)
    assert AuditRecord.objects.filter(action="login_failed", object_id=str(worker.pk)).count() == 3


def test_pages_need_login(client):
    response = client.get(reverse("grids:tree"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_open_redirect_after_login_is_refused(client, worker):
    response = client.post(
        reverse("accounts:login"),
        {"username": "wangfang", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_bad_user_input_is_refused_with_field_messages():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        accounts.create_user(username="x", password=PASSWORD, role="grid_worker", phone="12345")
    assert exc.value.message_dict["phone"] == ["手机号应为 11 位数字，以 1 开头"]
    with pytest.raises(ValidationError) as exc:
        accounts.create_user(username="y", password="123", role="grid_worker")
    assert "password" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        accounts.create_user(username="z", password=PASSWORD, role="department_staff")
    assert "department" in exc.value.message_dict
    assert not User.objects.filter(username__in=["x", "y", "z"]).exists()


@override_settings(SESSION_COOKIE_AGE=600)
def test_session_times_out_as_configured(client, worker):
    client.post(reverse("accounts:login"), {"username": "wangfang", "password": PASSWORD})
    assert client.session.get_expiry_age() == 600


def test_a_resident_lands_on_a_page_of_what_they_can_do(client):
    resident = accounts.create_user(
        username="jumin", password=PASSWORD, role=User.Role.RESIDENT, phone="13912349999"
    )
    client.post(reverse("accounts:login"), {"username": "13912349999", "password": PASSWORD})
    page = client.get("/")
    assert page.status_code == 200 and reverse("registry:me") in page.content.decode()
    assert resident.is_authenticated
