"""Enter once: a neighbour dispute reported as a case is the dispute in the mediation register, not a
second record; the mediation's outcome closes the case, and the monthly report counts it once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, report
from wangge.core.models import OutboxMessage
from wangge.mediation import services as mediation
from wangge.mediation.models import Dispute

pytestmark = pytest.mark.django_db


def quarrel(town, cast, **kw):
    case = report(town.units[0], "neighbour_dispute", description="楼上漏水，双方争执",
                  attributes={"kind": "漏水"}, reporter_phone="13800003333", **kw)  # fmt: skip
    cases.accept(case, by=cast.centre)
    cases.dispatch(case, by=cast.centre)
    return case


def mediate(dispute, by, status="agreed"):
    mediation.add_session(dispute, by=by, notes="双方到场", mediator="调解员")
    extra = {"agreement": "楼上修好防水"} if status != "failed" else {"referred_to": "县人民法院"}
    return mediation.close(dispute, by=by, status=status, outcome="调解结果", **extra)


def test_a_dispute_case_goes_to_the_register_in_one_step_and_its_outcome_closes_it(town):
    cast = Cast(town)
    case = quarrel(town, cast)
    with pytest.raises(ValidationError, match="属于矛盾纠纷"):  # not closed past the register
        cases.handle(case, by=cast.worker, comment="处理好了")
    dispute = cases.open_dispute(case, by=cast.worker, parties=["王建国", "李明"], risk="medium")
    assert (dispute.case_code, dispute.grid, dispute.kind.key) == (case.code, town.units[0], "neighbour")
    assert dispute.summary == "楼上漏水，双方争执" and dispute.risk == "medium"
    assert case.events.filter(action="dispute").exists() and cases.dispute_of(case) == dispute
    with pytest.raises(ValidationError, match="已转入矛盾纠纷调解"):
        cases.open_dispute(case, by=cast.worker, parties=["王建国"])
    OutboxMessage.objects.all().delete()
    mediate(dispute, cast.worker)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.outcome == Case.Outcome.SOLVED
    assert case.answer.startswith("调解结果") and case.events.filter(action="dispute_outcome").exists()
    assert OutboxMessage.objects.filter(key__startswith=f"case:{case.pk}:dispute:").exists()  # asked to rate
    month = dispute.found_on
    figures = mediation.figures(town.root, month)
    assert figures["found"] == 1 and figures["agreed"] == 1 and Dispute.objects.count() == 1


def test_a_dispute_already_in_the_register_is_linked_not_typed_again(town):
    cast = Cast(town)
    data = mediation.DisputeIn(grid=town.units[0].pk, kind="neighbour", summary="漏水", parties=["王", "李"])
    recorded = mediation.record(data, by=cast.worker)
    case = quarrel(town, cast)
    assert cases.link_dispute(case, by=cast.worker, dispute_id=recorded.pk) == recorded
    mediate(recorded, cast.worker, status="failed")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.outcome == Case.Outcome.UNSOLVABLE
    assert "县人民法院" in case.answer and Dispute.objects.count() == 1
    # a dispute decided before the case came in closes the new case at once
    second = quarrel(town, cast)
    with pytest.raises(ValidationError, match="已关联事件"):
        cases.link_dispute(second, by=cast.worker, dispute_id=recorded.pk)
    done = mediation.record(mediation.DisputeIn(grid=town.units[0].pk, kind="neighbour", summary="另一起",
                                                parties=["赵"]), by=cast.worker)  # fmt: skip
    mediate(done, cast.worker)
    cases.link_dispute(second, by=cast.worker, dispute_id=done.pk)
    second.refresh_from_db()
    assert second.status == Case.Status.CLOSED and second.outcome == Case.Outcome.SOLVED


def test_only_disputes_go_and_only_within_jurisdiction(town):
    cast = Cast(town)
    lamp = report(town.units[0], "street_lamp")
    with pytest.raises(ValidationError, match="不是矛盾纠纷类事件"):
        cases.open_dispute(lamp, by=cast.centre, parties=["王"])
    case = quarrel(town, cast)
    with pytest.raises(PermissionDenied):
        cases.open_dispute(case, by=cast.other_worker, parties=["王"])
    data = mediation.DisputeIn(grid=town.units[7].pk, kind="neighbour", summary="别处的纠纷", parties=["钱"])
    theirs = mediation.record(data, by=cast.other_worker)
    with pytest.raises(ValidationError) as refused:
        cases.link_dispute(case, by=cast.worker, dispute_id=theirs.pk)
    assert "找不到" in str(refused.value) and "别处" not in str(refused.value)  # nothing of it said
    with pytest.raises(ValidationError, match="请至少填写一方当事人"):
        cases.open_dispute(case, by=cast.worker, parties=[])
    assert not Dispute.objects.filter(case_code=case.code).exists()


def test_the_case_page_and_the_api_refer_a_dispute(client, town):
    cast = Cast(town)
    case = quarrel(town, cast)
    client.force_login(cast.worker)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="dispute-open"' in page and 'id="dispute-link"' in page
    client.post(reverse("cases:dispute_open", args=[case.code]), {"parties": "王建国，李明", "risk": "low"})
    dispute = Dispute.objects.get(case_code=case.code)
    assert [p["name"] for p in dispute.parties] == ["王建国", "李明"]
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="case-dispute"' in page and 'id="dispute-open"' not in page
    assert case.code in client.get(reverse("mediation:detail", args=[dispute.pk])).content.decode()
    other = quarrel(town, cast)
    answer = client.post(
        f"/api/cases/{other.code}/dispute", {"parties": ["赵", "钱"]}, content_type="application/json"
    )
    assert answer.status_code == 201 and answer.json()["case"] == other.code
    again = client.post(
        f"/api/cases/{other.code}/dispute", {"parties": ["赵"]}, content_type="application/json"
    )
    assert again.status_code == 422 and "已转入矛盾纠纷调解" in again.json()["detail"]
