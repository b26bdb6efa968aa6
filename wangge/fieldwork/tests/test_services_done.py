"""帮办代办: a service done for a resident, with its steps and result; only within the worker's grids."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from testkit import grid_worker
from wangge.core.excel import read_rows
from wangge.fieldwork import services
from wangge.fieldwork.models import ServiceRecord
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_a_service_goes_from_taken_on_to_done_and_is_exported(client, town):
    worker = grid_worker(town.units[0])
    _hh, (head, _s) = household_with_people(town.units[0])
    r = services.start_service(
        person_id=head.pk, kind="低保特困申请", mode="proxy", note="代为提交材料", by=worker, client_id="s1"
    )
    assert (
        services.start_service(
            person_id=head.pk, kind="低保特困申请", mode="proxy", by=worker, client_id="s1"
        )
        == r
    )  # a retry
    services.add_service_step(r, note="民政所已受理", by=worker)
    with pytest.raises(ValidationError):
        services.finish_service(r, state="done", result="", by=worker)
    r = services.finish_service(r, state="done", result="已纳入低保，每月 650 元", by=worker)
    assert [s["note"] for s in r.steps] == ["代为提交材料", "民政所已受理"] and r.finished_on is not None
    with pytest.raises(ValidationError):
        services.add_service_step(r, note="再记一笔", by=worker)
    client.force_login(worker)
    _h, rows = read_rows(client.get(reverse("fieldwork:services"), {"format": "xlsx"}).content)
    assert rows[0][1] == head.name and rows[0][5] == "已办结"


def test_bad_input_and_other_grids(client, town):
    worker = grid_worker(town.units[0])
    other = grid_worker(town.units[7])
    _hh, (head, _s) = household_with_people(town.units[0])
    with pytest.raises(ValidationError) as e:
        services.start_service(person_id=head.pk, kind="不存在的事项", mode="x", by=worker)
    assert set(e.value.message_dict) == {"kind", "mode"}
    with pytest.raises(ValidationError) as e:
        services.start_service(person_id=head.pk, kind="残疾证办理", mode="help", by=other)
    assert "不在您的网格内" in str(e.value)
    r = services.start_service(person_id=head.pk, kind="残疾证办理", mode="help", by=worker)
    with pytest.raises(PermissionDenied):
        services.add_service_step(r, note="越界", by=other)
    client.force_login(other)
    assert client.get(reverse("fieldwork:service_detail", args=[r.pk])).status_code == 404
    elsewhere = client.get(reverse("fieldwork:service_new"), {"who": head.name}).content.decode()
    assert f"?person={head.pk}" not in elsewhere and "在您的网格内没有找到" in elsewhere
    client.force_login(worker)
    page = client.get(reverse("fieldwork:service_new"), {"who": head.name}).content.decode()
    assert f"?person={head.pk}" in page
    made = client.post(
        reverse("fieldwork:service_new"),
        {"person": head.pk, "kind": "高龄补贴申领", "mode": "at_home", "client_id": "w1"},
    )
    assert made.status_code == 302 and ServiceRecord.objects.filter(client_id="w1").exists()
