import pytest
from django.urls import reverse

from testkit import UserFactory, grid_worker
from wangge.accounts.models import User
from wangge.audit.models import AuditRecord
from wangge.registry.models import Person, ProposedChange
from wangge.registry.tests.factories import citizen_id, household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident_home(town):
    hh, (head, spouse) = household_with_people(town.units[0], names=("户主王", "配偶李"))
    resident = UserFactory(role=User.Role.RESIDENT, phone=head.phone)
    return hh, head, spouse, resident


def test_a_resident_corrects_a_member_and_the_archive_waits_for_the_worker(client, town, resident_home):
    hh, head, spouse, resident = resident_home
    client.force_login(resident)
    page = client.get(reverse("registry:me")).content.decode()
    assert "户主王" in page and "配偶李" in page and spouse.phone not in page
    url = reverse("registry:me_member", args=[spouse.pk])
    for _ in range(2):  # a retried submission from the phone: one proposal
        client.post(url, {"name": "配偶李", "phone": "13700007777", "occupation": "教师", "client_id": "p-1"})
    assert ProposedChange.objects.count() == 1
    spouse.refresh_from_db()
    assert spouse.occupation != "教师" and spouse.phone != "13700007777"  # nothing changed yet

    worker = grid_worker(town.units[0])
    client.force_login(worker)
    listing = client.get(reverse("registry:proposals")).content.decode()
    assert (
        "13700007777" in listing and "教师" in listing and spouse.phone in listing
    )  # old and new side by side
    change = ProposedChange.objects.get()
    client.post(reverse("registry:proposal_decide", args=[change.pk]), {"accept": "1"})
    spouse.refresh_from_db()
    assert spouse.occupation == "教师" and spouse.phone == "13700007777"
    assert AuditRecord.objects.filter(action="update", object_type="registry.person").exists()


def test_a_new_member_is_registered_on_acceptance_and_a_refusal_needs_a_reason(client, town, resident_home):
    hh, head, spouse, resident = resident_home
    client.force_login(resident)
    client.post(
        reverse("registry:me"),
        {"name": "新生儿", "id_number": citizen_id(), "relation": "child", "client_id": "n1"},
    )
    client.post(reverse("registry:me"), {"name": "远亲", "relation": "other", "client_id": "n2"})
    bad = client.post(reverse("registry:me"), {"name": "坏号", "id_number": "123", "relation": "child"})
    assert "身份证号应为 18 位" in bad.content.decode()
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    first, second = ProposedChange.objects.order_by("pk")
    client.post(reverse("registry:proposal_decide", args=[first.pk]), {"accept": "1"})
    assert Person.objects.filter(name="新生儿", household=hh).exists()
    client.post(reverse("registry:proposal_decide", args=[second.pk]), {"accept": "0", "reason": ""})
    second.refresh_from_db()
    assert second.status == "pending"
    client.post(
        reverse("registry:proposal_decide", args=[second.pk]), {"accept": "0", "reason": "非本户成员"}
    )
    second.refresh_from_db()
    assert second.status == "rejected" and not Person.objects.filter(name="远亲").exists()


def test_a_worker_of_another_grid_does_not_see_or_decide_the_proposal(client, town, resident_home):
    hh, head, spouse, resident = resident_home
    client.force_login(resident)
    client.post(reverse("registry:me_member", args=[spouse.pk]), {"name": "配偶李", "occupation": "医生"})
    change = ProposedChange.objects.get()
    client.force_login(grid_worker(town.units[1]))
    assert "配偶李" not in client.get(reverse("registry:proposals")).content.decode()
    assert (
        client.post(reverse("registry:proposal_decide", args=[change.pk]), {"accept": "1"}).status_code == 404
    )


def test_a_resident_cannot_touch_another_household(client, town, resident_home):
    hh, head, spouse, resident = resident_home
    _, (stranger, _) = household_with_people(town.units[0], names=("陌生人", "陌生人妻"))
    client.force_login(resident)
    assert client.get(reverse("registry:me_member", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("registry:person_list")).status_code == 403
