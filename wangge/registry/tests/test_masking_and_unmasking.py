import json

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.audit.models import AuditRecord
from wangge.core.excel import read_rows
from wangge.registry.tests.factories import household_with_people
from wangge.registry.validators import mask_id, mask_phone

pytestmark = pytest.mark.django_db


def test_pages_lists_and_exports_show_masked_values(client, town):
    hh, (head, _) = household_with_people(town.units[0])
    client.force_login(grid_worker(town.units[0]))
    for url in (head.get_absolute_url(), hh.get_absolute_url(), reverse("registry:person_list")):
        page = client.get(url).content.decode()
        assert head.id_number not in page and head.phone not in page
        assert mask_id(head.id_number) in page and mask_phone(head.phone) in page
    _, rows = read_rows(client.get(reverse("registry:person_list"), {"format": "xlsx"}).content)
    assert head.id_number not in json.dumps(rows) and mask_id(head.id_number) in json.dumps(
        rows, ensure_ascii=False
    )
    assert AuditRecord.objects.filter(action="export", object_type="registry.person").count() == 1


def test_unmasking_needs_a_reason_and_leaves_an_audit_record_the_admin_can_read(client, town):
    hh, (head, _) = household_with_people(town.units[0])
    worker = grid_worker(town.units[0], full_name="赵网格员")
    client.force_login(worker)
    url = reverse("registry:person_unmask", args=[head.pk])
    assert client.post(url, {"field": "id_number", "reason": ""}).status_code == 422
    shown = client.post(url, {"field": "id_number", "reason": "办理低保核对"}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and head.id_number in shown.content.decode()
    api = client.post(
        f"/api/persons/{head.pk}/unmask",
        json.dumps({"field": "phone", "reason": "电话回访"}),
        content_type="application/json",
    )
    assert api.json() == {"field": "phone", "value": head.phone}
    records = AuditRecord.objects.filter(action="view_sensitive").order_by("pk")
    assert [(r.actor, r.detail["field"], r.detail["reason"]) for r in records] == [
        (worker, "id_number", "办理低保核对"),
        (worker, "phone", "电话回访"),
    ]
    client.force_login(staff(User.Role.ADMIN))
    audit_page = client.get(reverse("audit:list"), {"action": "view_sensitive"}).content.decode()
    assert "赵网格员" in audit_page and head.name in audit_page


def test_roles_without_the_permission_cannot_unmask_or_export_unmasked(client, town):
    hh, (head, _) = household_with_people(town.units[0])
    leader = staff(User.Role.LEADER, scope=town.root)
    client.force_login(leader)
    assert client.get(head.get_absolute_url()).status_code == 200
    assert (
        client.post(
            reverse("registry:person_unmask", args=[head.pk]), {"field": "phone", "reason": "看看"}
        ).status_code
        == 403
    )
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    assert client.get(reverse("registry:person_list"), {"format": "xlsx", "unmasked": "1"}).status_code == 403
    centre = staff(User.Role.CENTRE_STAFF, scope=town.root)
    client.force_login(centre)
    _, rows = read_rows(
        client.get(reverse("registry:person_list"), {"format": "xlsx", "unmasked": "1"}).content
    )
    assert head.id_number in json.dumps(rows)
    assert AuditRecord.objects.get(action="export", object_type="registry.person").detail["unmasked"] is True
