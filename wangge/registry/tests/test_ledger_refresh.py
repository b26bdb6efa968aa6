"""The monthly refresh (月度更新): a community sends its amended ledger again; the check says what would be
added, changed (field by field) and who is missing; the commit applies exactly that, keeping each old
value in the person's history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testkit import staff
from testkit.ledgers import community_ledger
from wangge.accounts.models import User
from wangge.audit.models import AuditRecord
from wangge.core.crypto import blind_index
from wangge.registry import importing, services
from wangge.registry.models import GroupMembership, ImportJob, Person, PersonChange, SpecialGroup

pytestmark = pytest.mark.django_db


def _month(unit_code: str, **kw):
    return community_ledger([unit_code], seed=11, prefix="R", **kw)


def _person(ledger, index: int) -> Person:
    return Person.objects.get(id_index=blind_index(ledger.ids[index]))


@pytest.fixture
def first_month(town):
    unit = town.units[0]
    clerk = staff(User.Role.COMMUNITY_STAFF, scope=unit)
    ledger = _month(unit.code, households=8)
    report = importing.import_ledger(ledger.content, commit=True, user=clerk)
    assert report.ok and report.committed, report.errors[:3]
    return unit, clerk, ledger


def test_an_amended_ledger_without_refresh_is_refused_person_by_person(first_month):
    unit, clerk, ledger = first_month
    report = importing.import_ledger(ledger.content, user=clerk)
    assert len(report.errors) == ledger.persons
    assert {e.message for e in report.errors} == {"该证件号已在档案中登记"}


def test_the_refresh_check_lists_what_is_added_changed_and_missing_and_writes_nothing(first_month):
    unit, clerk, ledger = first_month
    before = Person.objects.count()
    amended = {1: {"联系电话": "13912345678", "备注": "已搬至二楼"}, 2: {"民族": "畲族"}}
    month2 = _month(unit.code, households=10, amended=amended, dropped=frozenset({3}))
    report = importing.import_ledger(month2.content, user=clerk, refresh=True)
    assert report.ok, report.errors[:3]
    assert not report.committed and Person.objects.count() == before
    new = month2.persons - (ledger.persons - 1)  # two more households, one person left out
    assert report.persons_new == new > 0
    changes = {c.person_id: c for c in report.refresh.changes}
    assert set(changes) == {_person(ledger, 1).pk, _person(ledger, 2).pk}
    phone = {f.field: f for f in changes[_person(ledger, 1).pk].fields}
    # the phone shown masked, as the person's page shows it; the note as it is
    assert phone["phone"].label == "手机号" and phone["phone"].after == "139****5678"
    assert phone["note"].after == "已搬至二楼"
    assert [(f.before, f.after) for f in changes[_person(ledger, 2).pk].fields] == [("汉族", "畲族")]
    assert report.refresh.unchanged == ledger.persons - 1 - 2
    assert [m.person_id for m in report.refresh.missing] == [_person(ledger, 3).pk]


def test_the_refresh_commit_applies_the_diff_and_keeps_the_old_values(first_month):
    unit, clerk, ledger = first_month
    old_phone = _person(ledger, 1).phone
    month2 = _month(
        unit.code, households=10, amended={1: {"联系电话": "13912345678"}}, dropped=frozenset({3})
    )
    report = importing.import_ledger(month2.content, user=clerk, refresh=True, commit=True)
    assert report.ok and report.committed, report.errors[:3]
    person = _person(ledger, 1)
    assert person.phone == "13912345678" and person.phone_index == blind_index("13912345678")
    change = PersonChange.objects.get(person=person)
    assert (change.field, change.before, change.after) == ("phone", old_phone, "13912345678")
    assert change.by == clerk and change.source == PersonChange.Source.LEDGER
    # the new households' persons are in; the missing one is listed, still in the register
    assert Person.objects.filter(id_index=blind_index(month2.ids[-1])).exists()
    assert _person(ledger, 3).status == Person.Status.ACTIVE
    # the same file again: nothing left to change
    again = importing.import_ledger(month2.content, user=clerk, refresh=True)
    assert again.ok and again.refresh.changes == [] and again.persons_new == 0


def test_a_household_the_ledger_leaves_out_whole_is_counted_never_marked_moved_out(first_month):
    unit, clerk, ledger = first_month
    number = ledger.numbers[-1]
    gone = frozenset(i for i, n in enumerate(ledger.numbers) if n == number)
    month2 = _month(unit.code, households=8, dropped=gone)
    report = importing.import_ledger(month2.content, user=clerk, refresh=True, commit=True, mark_missing=True)
    assert report.committed and report.moved_out == 0 and report.refresh.missing == []
    assert [(a.number, a.persons) for a in report.refresh.absent] == [(number, len(gone))]
    assert all(_person(ledger, i).status == Person.Status.ACTIVE for i in gone)


def test_the_missing_are_marked_moved_out_only_when_the_clerk_says_so(first_month):
    unit, clerk, ledger = first_month
    gone = _person(ledger, 3)
    group = SpecialGroup.objects.first()
    GroupMembership.objects.create(person=gone, group=group, start=gone.registered_on)
    month2 = _month(unit.code, households=8, dropped=frozenset({3}))
    report = importing.import_ledger(month2.content, user=clerk, refresh=True, commit=True, mark_missing=True)
    assert report.committed and report.moved_out == 1
    gone.refresh_from_db()
    assert gone.status == Person.Status.MOVED_OUT
    assert not GroupMembership.objects.filter(person=gone, end__isnull=True).exists()
    assert PersonChange.objects.get(person=gone).after == Person.Status.MOVED_OUT


def test_a_person_the_archive_holds_outside_the_clerks_jurisdiction_is_an_error(first_month, town):
    unit, _clerk, ledger = first_month
    other = next(u for u in town.units if not u.path.startswith(unit.path))
    stranger = staff(User.Role.COMMUNITY_STAFF, scope=other)
    # the same people written into the stranger's own grid
    report = importing.import_ledger(_month(other.code, households=8).content, user=stranger, refresh=True)
    messages = {e.message for e in report.errors}
    assert "该证件号已在其他辖区的档案中登记：请由其所在网格办理迁入" in messages
    assert report.refresh.changes == [] and report.refresh.missing == []
    assert not any(_person(ledger, 0).name in e.message for e in report.errors)


def test_the_refresh_through_the_page(client, first_month):
    unit, clerk, ledger = first_month
    client.force_login(clerk)
    month2 = _month(unit.code, households=8, amended={0: {"备注": "独居"}}, dropped=frozenset({3}))
    upload = SimpleUploadedFile("12月台账.xlsx", month2.content)
    response = client.post(reverse("registry:import"), {"kind": "persons", "file": upload, "refresh": "on"})
    job = ImportJob.objects.get(user=clerk)
    assert response.status_code == 302 and job.refresh
    page = client.get(reverse("registry:import_job", args=[job.pk])).content.decode()
    assert "月度更新" in page and "备注" in page and "独居" in page
    assert "台账中没有的人" in page and _person(ledger, 3).name in page
    client.post(reverse("registry:import_commit", args=[job.pk]), {"mark_missing": "on"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert _person(ledger, 0).note == "独居"
    assert _person(ledger, 3).status == Person.Status.MOVED_OUT
    history = client.get(reverse("registry:person_detail", args=[_person(ledger, 0).pk])).content.decode()
    assert "变更记录" in history and "独居" in history


def test_a_correction_keeps_the_old_value_shown_masked_on_the_persons_page(client, first_month):
    unit, clerk, ledger = first_month
    person = _person(ledger, 0)
    old = person.phone or "13800000000"
    if not person.phone:
        services.update_person(person, phone=old, by=clerk)
    services.update_person(person, phone="13700001111", occupation="厨师", by=clerk)
    kept = {c.field: c for c in PersonChange.objects.filter(person=person, source=PersonChange.Source.EDIT)}
    assert (kept["phone"].before, kept["phone"].after) == (old, "13700001111")
    assert kept["occupation"].after == "厨师"
    client.force_login(clerk)
    page = client.get(reverse("registry:person_detail", args=[person.pk])).content.decode()
    history = page[page.index('id="person-history"') :]
    assert "137****1111" in history and "13700001111" not in history and "厨师" in history


def test_the_refresh_through_the_api(client, first_month):
    unit, clerk, ledger = first_month
    client.force_login(clerk)
    month2 = _month(unit.code, households=8, amended={2: {"民族": "畲族"}}, dropped=frozenset({3}))
    job = client.post(
        "/api/imports", {"file": SimpleUploadedFile("m.xlsx", month2.content), "refresh": "true"}
    )
    assert job.status_code == 202
    report = client.get(f"/api/imports/{job.json()['id']}").json()["report"]["refresh"]
    assert report["changed"] == 1 and report["changes"][0]["fields"] == [
        {"label": "民族", "before": "汉族", "after": "畲族"}
    ]
    assert [m["person_id"] for m in report["missing"]] == [_person(ledger, 3).pk]
    done = client.post(f"/api/imports/{job.json()['id']}/commit?mark_missing=true")
    assert done.status_code == 202
    assert _person(ledger, 2).ethnicity == "畲族" and _person(ledger, 3).status == Person.Status.MOVED_OUT


def test_a_changed_phone_is_read_in_full_from_the_history_only_with_a_reason_and_audited(client, first_month):
    unit, clerk, ledger = first_month
    person = _person(ledger, 0)
    services.update_person(person, phone="13700002222", by=clerk)
    change = PersonChange.objects.get(person=person, field="phone")
    client.force_login(clerk)
    url = reverse("registry:person_change_unmask", args=[person.pk, change.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    shown = client.post(url, {"reason": "核实联系方式"}).content.decode()
    assert "13700002222" in shown and "已记入审计" in shown
    assert AuditRecord.objects.filter(action="view_sensitive", detail__history=change.pk).exists()
    client.force_login(staff(User.Role.LEADER, scope=unit))  # sees the archive, may not unmask
    assert client.post(url, {"reason": "看看"}).status_code == 403
