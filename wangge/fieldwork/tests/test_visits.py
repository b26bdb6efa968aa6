"""A visit entered once on the phone page: findings go to the archive, the hazard marks and the cases;
a retry never duplicates; bad input says what is wrong and writes nothing; other grids are not found."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker, staff
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.helpers import inside, photo, report
from wangge.core.excel import read_rows
from wangge.fieldwork import services
from wangge.fieldwork.models import Finding, Visit
from wangge.registry.models import Hazard, ProposedChange
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(town):
    return grid_worker(town.units[0])


def form(**extra):
    return {"client_id": extra.pop("client_id", "v-1"), "mode": "in_person", **extra}


def test_an_ordinary_visit_is_one_tap_and_a_retry_is_stored_once(client, town, worker):
    hh, _ = household_with_people(town.units[0])
    client.force_login(worker)
    url = reverse("fieldwork:visit_form", args=[hh.pk])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "家庭成员有无变化" in text  # the yearly rule's checklist
    lon, lat = inside(town.units[0])
    data = form(lon=lon, lat=lat, **{"answer:家庭成员有无变化": "ok"})
    first = client.post(url, {**data, "photos": [photo()]}, HTTP_ACCEPT="application/json")
    again = client.post(url, {**data, "photos": [photo()]}, HTTP_ACCEPT="application/json")
    assert first.status_code == 200 and again.json() == first.json()
    visit = Visit.objects.get()
    assert visit.photos.count() == 1 and visit.answers == {"家庭成员有无变化": "ok"}
    assert visit.grid == town.units[0] and visit.worker == worker
    detail = client.get(first.json()["url"]).content.decode()
    assert "普通家庭每年必访" in detail and "按时" in detail
    assert (
        client.get(reverse("fieldwork:visit_photo", args=[visit.photos.get().pk]))["Content-Type"]
        == "image/jpeg"
    )


def test_the_distance_from_the_household_is_kept(town, worker):
    hh, _ = household_with_people(town.units[0])
    hh.house.lon, hh.house.lat = 119.5, 27.45
    hh.house.save()
    near = services.record_visit(
        services.VisitIn(household=hh.pk, client_id="a", lon=119.5005, lat=27.45), by=worker
    )
    far = services.record_visit(
        services.VisitIn(household=hh.pk, client_id="b", lon=119.51, lat=27.45), by=worker
    )
    assert near.distance_m == 49 and near.near
    assert far.distance_m == 987 and far.near is False


def test_findings_go_to_the_hazards_the_archive_and_the_cases(client, town, worker):
    hh, (head, _s) = household_with_people(town.units[0])
    client.force_login(worker)
    data = form(
        **{"answer:住房与用电用气安全": "problem"},
        notes="厨房燃气软管老化",
        hazard_kind="gas",
        hazard_note="燃气软管老化",
        correction_person=head.pk,
        correction_field="occupation",
        correction_value="退休",
        problem_category="garbage_dumping",
        problem_description="楼道口垃圾堆放",
    )
    r = client.post(reverse("fieldwork:visit_form", args=[hh.pk]), data, HTTP_ACCEPT="application/json")
    assert r.status_code == 200, r.content
    visit = Visit.objects.get()
    kinds = {f.kind: f for f in visit.findings.all()}
    assert Hazard.objects.get(pk=kinds["hazard"].hazard_id).house == hh.house
    change = ProposedChange.objects.get(pk=kinds["correction"].proposal_id)
    assert change.status == "pending" and json.loads(change.data) == {"occupation": "退休"}
    case = Case.objects.get(code=kinds["problem"].case_code)
    assert case.grid == town.units[0] and case.attributes["visit"] == visit.client_id
    assert case.channel == "worker"
    assert "hazard_monthly" in {d.rule.key for d in services.duties_for(worker).filter(household=hh)}
    # the phone goes back to the round, which says that the visit was saved, and where
    assert f"走访已登记：{hh.house.address}" in client.get(reverse("fieldwork:round")).content.decode()


def test_a_bad_finding_writes_nothing_at_all(client, town, worker):
    hh, _ = household_with_people(town.units[0])
    client.force_login(worker)
    data = form(hazard_kind="dangerous_building", problem_category="garbage_dumping", problem_description="")
    r = client.post(reverse("fieldwork:visit_form", args=[hh.pk]), data, HTTP_ACCEPT="application/json")
    assert r.status_code == 400
    errors = json.dumps(r.json()["errors"], ensure_ascii=False)
    assert "危房须注明鉴定等级" in errors
    assert (Visit.objects.count(), Hazard.objects.count(), Case.objects.count(), Finding.objects.count()) == (
        0,
        0,
        0,
        0,
    )
    # without the script the page says it too, and keeps what was typed
    page = client.post(reverse("fieldwork:visit_form", args=[hh.pk]), {**data, "notes": "记一笔"})
    assert (
        page.status_code == 400
        and "危房须注明鉴定等级" in page.content.decode()
        and "记一笔" in page.content.decode()
    )


def test_a_problem_answer_needs_words_or_a_finding(town, worker):
    hh, _ = household_with_people(town.units[0])
    with pytest.raises(Exception) as e:
        services.record_visit(
            services.VisitIn(household=hh.pk, client_id="p", answers={"有无矛盾纠纷": "problem"}), by=worker
        )
    assert "请写明情况" in str(e.value)


def test_five_must_go_cases_wait_for_a_visit_on_site(client, town, worker):
    hh, _ = household_with_people(town.units[0])
    case = report(town.units[0], "family_hardship", description="家里突发变故，生活困难")
    assert list(services.must_visit(worker)) == [case]
    client.force_login(worker)
    assert case.code in client.get(reverse("fieldwork:round")).content.decode()
    r = client.post(
        reverse("fieldwork:visit_form", args=[hh.pk]),
        form(case_code=case.code.lower()),
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="site_visit", actor=worker).exists()
    assert list(services.must_visit(worker)) == []


def test_a_worker_of_another_grid_finds_nothing(client, town, worker):
    hh, _ = household_with_people(town.units[0])
    visit = services.record_visit(services.VisitIn(household=hh.pk, client_id="mine"), by=worker)
    other = grid_worker(town.units[7])
    client.force_login(other)
    assert client.get(reverse("fieldwork:visit_form", args=[hh.pk])).status_code == 404
    r = client.post(reverse("fieldwork:visit_form", args=[hh.pk]), form(), HTTP_ACCEPT="application/json")
    assert r.status_code == 404 and Visit.objects.count() == 1
    assert client.get(reverse("fieldwork:visit_detail", args=[visit.pk])).status_code == 404
    listing = client.get(reverse("fieldwork:visit_list")).content.decode()
    assert hh.number not in listing and "没有符合条件的走访记录" in listing
    _h, rows = read_rows(client.get(reverse("fieldwork:visit_list"), {"format": "xlsx"}).content)
    assert rows == []
    assert hh.number not in client.get(reverse("fieldwork:round"), {"tab": "week"}).content.decode()


def test_the_pages_open_from_the_menu_and_export(client, town, worker):
    hh, _ = household_with_people(town.units[0])
    services.record_visit(services.VisitIn(household=hh.pk, client_id="x"), by=worker)
    leader = staff("centre_staff", scope=town.root)
    client.force_login(leader)
    home = client.get(reverse("home"), follow=True).content.decode()
    assert reverse("fieldwork:round") in home
    for name in ("round", "visit_list", "coverage", "rules", "campaigns"):
        assert client.get(reverse(f"fieldwork:{name}")).status_code == 200, name
    assert client.get(reverse("fieldwork:round"), {"tab": "done"}).status_code == 200
    coverage = client.get(reverse("fieldwork:coverage"), {"format": "xlsx"})
    headers, rows = read_rows(coverage.content)
    assert headers[:2] == ["网格", "应访"] and {r[0] for r in rows} == {g.name for g in town.seconds}
    _h, rows = read_rows(
        client.get(reverse("fieldwork:visit_list"), {"format": "xlsx", "q": hh.number}).content
    )
    assert [r[1] for r in rows] == [hh.number]
    today = timezone.localdate()
    made = client.post(
        reverse("fieldwork:campaigns"),
        {"name": "台风前排查", "grid": town.root.pk, "start": today.isoformat(),
         "end": (today + timedelta(days=2)).isoformat(), "checklist": "门窗\n排水"},
    )  # fmt: skip
    assert made.status_code == 302
    progress = client.get(made["Location"]).content.decode()
    assert "台风前排查" in progress and "目标 1 户" in progress
    bad = client.post(
        reverse("fieldwork:campaigns"), {"name": "", "grid": town.root.pk, "start": "x", "end": ""}
    )
    assert bad.status_code == 400 and "日期格式应为" in bad.content.decode()
    assert client.get(reverse("fieldwork:service_worker"))["Service-Worker-Allowed"] == "/fieldwork/"


def test_whom_the_worker_met_is_kept_and_must_be_of_the_household(town, worker):
    hh, (head, spouse) = household_with_people(town.units[0])
    _other, (stranger, _x) = household_with_people(town.units[0])
    visit = services.record_visit(
        services.VisitIn(household=hh.pk, client_id="m", persons=[spouse.pk]), by=worker
    )
    assert visit.persons == [spouse.pk]
    with pytest.raises(Exception) as e:
        services.record_visit(
            services.VisitIn(household=hh.pk, client_id="n", persons=[stranger.pk]), by=worker
        )
    assert "本户在册成员" in str(e.value)


def test_someone_elses_client_id_is_a_visit_of_ones_own_not_theirs(town, worker):
    hh, _ = household_with_people(town.units[0])
    first = services.record_visit(services.VisitIn(household=hh.pk, client_id="shared"), by=worker)
    colleague = grid_worker(town.units[0])
    theirs = services.record_visit(services.VisitIn(household=hh.pk, client_id="shared"), by=colleague)
    assert theirs.pk != first.pk and theirs.worker == colleague
    again = services.record_visit(services.VisitIn(household=hh.pk, client_id="shared"), by=worker)
    assert again.pk == first.pk  # each one's own retry still finds their own visit
