import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.audit import services as audit
from wangge.audit.models import AppendOnly, AuditRecord
from wangge.grids import services as grids

pytestmark = pytest.mark.django_db


def test_grid_writes_leave_audit_records_with_actor_and_address(client, town):
    admin = staff(User.Role.ADMIN)
    client.force_login(admin)
    client.post(
        reverse("grids:grid_edit", args=[town.units[0].code]),
        {"name": "改名格", "households": 99, "kind": "", "boundary": ""},
        REMOTE_ADDR="10.1.2.3",
    )
    record = AuditRecord.objects.get(action="update")
    assert record.actor == admin and record.ip == "10.1.2.3"
    assert record.detail["name"] == [town.units[0].name, "改名格"]


def test_records_cannot_be_changed_or_deleted():
    r = audit.record(audit.Action.LOGIN, object_type="x", object_repr="y")
    r.object_repr = "changed"
    with pytest.raises(AppendOnly):
        r.save()
    with pytest.raises(AppendOnly):
        r.delete()
    with pytest.raises(AppendOnly):
        AuditRecord.objects.filter(pk=r.pk).update(object_repr="z")
    with pytest.raises(AppendOnly):
        AuditRecord.objects.all().delete()


def test_only_administrators_read_the_log_with_filters_and_export(client, town):
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get("/api/audit").status_code == 403
    grids.update_grid(town.units[0], name="甲", by=worker)
    grids.close_grid(town.units[1], by=worker)
    client.force_login(staff(User.Role.ADMIN))
    page = client.get(reverse("audit:list"), {"action": "close"}).content.decode()
    assert town.units[1].name in page and "甲" not in page
    api = client.get("/api/audit", {"action": "update"}).json()
    assert api["count"] == 1 and api["items"][0]["object_repr"].startswith("甲")
    assert client.get(reverse("audit:xlsx")).status_code == 200
    assert AuditRecord.objects.filter(action="export", object_type="audit.auditrecord").exists()


def test_there_is_no_write_route_for_audit_records(client):
    client.force_login(staff(User.Role.ADMIN))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/audit").status_code == 405
