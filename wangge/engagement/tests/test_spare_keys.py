"""备用钥匙: a key is registered with the resident's signed consent and a cabinet slot; hand-outs are logged
and a key not back in time is flagged; the resident takes it back and the record closes; every look at
the register is audited, and nobody outside the resident's grids sees it."""

import base64
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from testkit import UserFactory, grid_worker, staff
from wangge.audit.models import AuditRecord
from wangge.engagement.models import SpareKey
from wangge.engagement.services import keys
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def drawing() -> str:
    buf = io.BytesIO()
    Image.new("RGBA", (120, 40), (0, 0, 0, 255)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def granny(town):
    _h, (granny, _x) = household_with_people(town.units[0], names=("沈奶奶", "沈孙"))
    return granny


def test_a_key_from_consent_to_hand_out_overdue_and_back_to_its_owner(town, granny):
    worker = grid_worker(town.units[0])
    with pytest.raises(ValidationError) as unsigned:
        keys.register_key(granny, purpose="独居老人", cabinet="A", slot="01", by=worker)
    assert "手写签名同意" in str(unsigned.value)
    key = keys.register_key(granny, purpose="独居老人", cabinet="A", slot="01", by=worker, drawn=drawing())
    with pytest.raises(ValidationError) as twice:
        keys.register_key(granny, purpose="独居老人", cabinet="A", slot="02", by=worker, drawn=drawing())
    assert "已有一把在保管中的备用钥匙" in str(twice.value)
    out = keys.hand_out(key, taken_by="沈孙", reason="老人电话不接，入户查看", by=worker,
                        due_at=timezone.now() + timedelta(hours=2))  # fmt: skip
    with pytest.raises(ValidationError) as again:
        keys.hand_out(
            key, taken_by="邻居", reason="送药", by=worker, due_at=timezone.now() + timedelta(hours=1)
        )
    assert "该钥匙不在柜中（借出中）" in str(again.value)
    type(out).objects.filter(pk=out.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )  # two hours later
    assert list(keys.overdue(keys.keys_for(worker))) == [out]
    with pytest.raises(ValidationError) as still_out:
        keys.return_to_owner(key, by=worker)
    assert "借出中" in str(still_out.value)
    keys.take_back(key, by=worker)
    assert not keys.overdue(keys.keys_for(worker)).exists()
    closed = keys.return_to_owner(key, by=worker)
    assert closed.status == "returned" and closed.returned_at is not None
    keys.register_key(
        granny, purpose="独居老人", cabinet="A", slot="01", by=worker, drawn=drawing()
    )  # again later


def test_every_look_is_audited_and_other_grids_see_nothing(client, town, granny):
    worker = grid_worker(town.units[0])
    key = keys.register_key(granny, purpose="独居老人", cabinet="B", slot="07", by=worker, drawn=drawing())
    client.force_login(worker)
    before = AuditRecord.objects.filter(action="view_sensitive").count()
    assert "沈奶奶" in client.get(reverse("engagement:keys")).content.decode()
    assert client.get(reverse("engagement:key", args=[key.pk])).status_code == 200
    assert client.get(reverse("engagement:key_consent", args=[key.pk])).status_code == 200
    assert AuditRecord.objects.filter(action="view_sensitive", actor=worker).count() == before + 3
    other = grid_worker(town.units[7])
    client.force_login(other)
    assert "沈奶奶" not in client.get(reverse("engagement:keys")).content.decode()
    for name in ("engagement:key", "engagement:key_consent"):
        assert client.get(reverse(name, args=[key.pk])).status_code == 404
    assert (
        client.post(
            reverse("engagement:key_action", args=[key.pk]), {"action": "return_to_owner"}
        ).status_code
        == 404
    )
    assert client.get(reverse("engagement:keys")).status_code == 200
    leader = staff("leader", scope=town.root)  # sees the town, but keeps no keys
    client.force_login(leader)
    assert client.get(reverse("engagement:keys")).status_code == 403
    owner = UserFactory(role="resident", phone=granny.phone)
    client.force_login(owner)
    mine = client.get(reverse("engagement:my_keys")).content.decode()
    assert "保管中" in mine and "独居老人" in mine
    assert SpareKey.objects.get().status == "held"
