"""A resident's report is received on the request (checked, given its code and token, one row) and made
a case by the worker; these tests hold the worker back (a queue that runs nothing) to see both halves."""

import pytest
from django.test import override_settings
from django.urls import reverse

from wangge.cases import services as cases
from wangge.cases.models import Case, CaseEvent, Submission
from wangge.cases.tests.helpers import Cast, inside, photo
from wangge.core import outbox
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db

QUEUE_ONLY = override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})


@QUEUE_ONLY
def test_a_report_waits_with_its_code_until_the_worker_takes_it_in_and_a_retry_never_makes_a_second(
    client, town
):
    cast, unit = Cast(town), town.units[0]
    lon, lat = inside(unit)
    form = {"category": "street_lamp", "description": "路灯不亮", "lon": lon, "lat": lat, "crs": "wgs84",
            "reporter_phone": "13800005555", "client_id": "phone-1", "attribute[how_many]": "2"}  # fmt: skip
    done = client.post(reverse("report:start"), {**form, "photos": [photo()]})
    waiting = Submission.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("report:follow", args=[waiting.token])
    assert Case.objects.count() == 0
    assert "13800005555" not in str(waiting.content)  # the phone is stored encrypted
    page = client.get(done["Location"]).content.decode()
    assert waiting.code in page and "正在登记分派" in page
    assert client.post(reverse("report:start"), form)["Location"] == done["Location"]  # the phone retried
    assert Submission.objects.count() == 1

    assert cases.take_in() == 1
    case = Case.objects.get()
    assert (case.code, case.token, case.client_id) == (waiting.code, waiting.token, "phone-1")
    assert case.grid_id == unit.pk and case.status == Case.Status.REPORTED and case.stage_due_at is not None
    assert case.reporter_phone == "13800005555" and case.attributes == {"how_many": 2.0}
    assert case.photos.count() == 1 and case.photos.get().event.action == CaseEvent.Action.REPORT
    step = CaseEvent.objects.get(case=case)
    assert step.action == CaseEvent.Action.REPORT and step.to_grid_id == case.handler_grid_id
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {
        f"case:{case.pk}:new",
        f"case:{case.pk}:receipt:sms",
    }
    links = dict(OutboxMessage.objects.values_list("key", "link"))
    assert links[f"case:{case.pk}:new"] == case.get_absolute_url()  # the unit opens the case
    assert links[f"case:{case.pk}:receipt:sms"] == done["Location"]  # the resident follows it
    # the unit's people were told in the case's own transaction; the SMS waits for the delivery run
    told = set(
        Message.objects.filter(outbox_key__startswith=f"case:{case.pk}:new:").values_list("user", flat=True)
    )
    assert told == set(outbox.unit_users(unit.pk).values_list("pk", flat=True))
    assert cast.worker.pk in told
    assert OutboxMessage.objects.get(key=f"case:{case.pk}:new").sent_at is not None
    assert outbox.deliver() == 1 and outbox.deliver() == 0  # the SMS, once; the in-site rows not again
    assert Message.objects.filter(outbox_key__startswith=f"case:{case.pk}:new:").count() == len(told)
    waiting.refresh_from_db()
    assert waiting.taken_at is not None and waiting.content == {}  # nothing personal is kept twice
    page = client.get(done["Location"]).content.decode()
    assert case.code in page and "待受理" in page and "正在登记分派" not in page
    assert client.post(reverse("report:start"), form)["Location"] == done["Location"]  # retried after
    assert Case.objects.count() == 1 and cases.take_in() == 0


@QUEUE_ONLY
def test_a_submission_that_cannot_be_taken_in_is_kept_with_its_error_and_the_others_go_on(town):
    lon, lat = inside(town.units[0])
    good, bad = (
        cases.receive(cases.ReportIn(category="street_lamp", description=d, lon=lon, lat=lat, client_id=d))
        for d in ("good", "bad")
    )
    Submission.objects.filter(pk=bad.pk).update(content={**bad.content, "category": 10**9})  # gone since

    assert cases.take_in() == 1
    assert Case.objects.get().code == good.code
    bad.refresh_from_db()
    assert bad.taken_at is None and bad.attempts == 1 and bad.last_error
    for _ in range(cases.SUBMISSION_ATTEMPTS):
        cases.take_in()
    bad.refresh_from_db()
    assert bad.attempts == cases.SUBMISSION_ATTEMPTS and Case.objects.count() == 1  # tried, then left


def test_without_a_worker_queue_the_case_is_made_at_once(client, town):
    """The tests' immediate backend (and any backend that cannot defer) takes the report in at once."""
    lon, lat = inside(town.units[0])
    done = client.post(reverse("report:start"), {"category": "street_lamp", "description": "灯", "lon": lon,
                                                 "lat": lat, "client_id": "c9"})  # fmt: skip
    case = Case.objects.get(client_id="c9")
    assert done["Location"] == reverse("report:follow", args=[case.token])
    assert not Submission.objects.filter(taken_at__isnull=True).exists()


@QUEUE_ONLY
def test_a_run_takes_full_batches_until_a_partial_one_and_each_case_its_own_notices(town):
    lon, lat = inside(town.units[0])
    for i in range(5):
        cases.receive(cases.ReportIn(category="street_lamp", description=f"灯{i}", lon=lon, lat=lat))
    assert cases.take_in(batch=2) == 5  # 2 + 2 + 1: a full batch means more may wait
    made = list(Case.objects.order_by("pk"))
    assert [c.description for c in made] == [f"灯{i}" for i in range(5)]
    assert len({c.pk for c in made}) == 5 and CaseEvent.objects.filter(case__in=made).count() == 5
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {f"case:{c.pk}:new" for c in made}
    assert not Submission.objects.filter(taken_at__isnull=True).exists()
