"""电话回访: staff call back reporters of closed cases; the answer is the case's rating, counted in 满意率."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from testkit import staff
from wangge.audit.models import AuditRecord
from wangge.cases import figures
from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, report
from wangge.cases.tests.test_figures import period

pytestmark = pytest.mark.django_db


def closed(town, cast, *, phone="13800003333", channel="hotline"):
    case = report(town.units[0], reporter_phone=phone, channel=channel)
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    cases.handle(case, by=cast.worker, comment="已清运")
    cases.verify(case, by=cast.worker, passed=True, comment="现场已干净")
    return case


def test_the_list_holds_closed_unrated_cases_with_a_phone_and_a_call_rates_them(client, town):
    cast = Cast(town)
    called = closed(town, cast)
    unreachable = closed(town, cast, phone="13800004444")
    no_phone = closed(town, cast, phone="")
    assert set(cases.return_calls_due(cast.centre)) == {called, unreachable}
    assert no_phone not in cases.return_calls_due(cast.centre)
    client.force_login(cast.centre)
    page = client.get(reverse("cases:return_calls")).content.decode()
    assert called.code in page and "138****3333" in page and "13800003333" not in page
    # the number in full, to dial: audited
    shown = client.post(reverse("cases:call_phone", args=[called.code])).content.decode()
    assert 'href="tel:13800003333"' in shown
    assert AuditRecord.objects.filter(action="view_sensitive", object_repr=called.code).exists()
    back = reverse("cases:return_calls")
    client.post(reverse("cases:act", args=[called.code, "return_call"]), {"reason": "basic", "next": back})
    called.refresh_from_db()
    assert called.rating == Case.Rating.BASIC and called.events.filter(action="return_call").exists()
    # three calls nobody answered, then it leaves the list, never counted as rated
    for _ in range(3):
        response = client.post(
            reverse("cases:act", args=[unreachable.code, "return_call"]),
            {"reason": "unreachable", "next": back},
        )
        assert response["Location"] == back
    assert list(cases.return_calls_due(cast.centre)) == []
    unreachable.refresh_from_db()
    assert unreachable.rating == ""
    satisfaction = {f.key: (f.num, f.den) for f in figures.compute(Case.objects.all(), period())}[
        "satisfaction"
    ]
    assert satisfaction == (1, 1)  # the call's answer counts; the reporter never reached does not


def test_not_satisfied_on_the_phone_reopens_the_case_and_a_worker_may_not_call(town):
    cast = Cast(town)
    case = closed(town, cast)
    with pytest.raises(PermissionDenied):  # a grid worker does not make return calls
        cases.return_call(case, by=cast.worker, outcome="satisfied")
    with pytest.raises(ValidationError) as refused:  # not satisfied says why
        cases.return_call(case, by=cast.centre, outcome="unsatisfied")
    assert "不满意的原因" in str(refused.value)
    cases.return_call(case, by=cast.centre, outcome="unsatisfied", comment="垃圾又堆起来了")
    assert case.status == "dispatched" and case.reopened == 1


def test_another_communitys_staff_finds_neither_the_case_nor_its_number(client, town):
    cast = Cast(town)
    case = closed(town, cast)
    other = next(s for s in town.seconds if not town.units[0].path.startswith(s.path))
    client.force_login(staff("community_staff", scope=other))
    assert case.code not in client.get(reverse("cases:return_calls")).content.decode()
    assert client.post(reverse("cases:call_phone", args=[case.code])).status_code == 404
    client.post(reverse("cases:act", args=[case.code, "return_call"]), {"reason": "satisfied"})
    case.refresh_from_db()
    assert case.rating == "" and not AuditRecord.objects.filter(action="view_sensitive").exists()


def test_return_calls_through_the_api(client, town):
    cast = Cast(town)
    case = closed(town, cast)
    client.force_login(cast.centre)
    listed = client.get("/api/cases/return-calls").json()
    assert listed["count"] == 1 and listed["items"][0]["reporter_phone"] == "138****3333"
    url = f"/api/cases/{case.code}/actions/return_call"
    done = client.post(url, {"reason": "satisfied", "comment": "很满意"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["rating"] == "satisfied"
    assert client.get("/api/cases/return-calls").json()["count"] == 0
