"""A resident's report becomes a case on the request, through the same verb as every other channel:
located, routed, given its deadline and its notices in one transaction; a retry never makes a second."""

import pytest
from django.urls import reverse

from wangge.accounts import services as accounts
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.helpers import Cast, inside, photo
from wangge.core import outbox
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_report_is_a_case_at_once_and_a_retry_never_makes_a_second(client, town):
    cast, unit = Cast(town), town.units[0]
    lon, lat = inside(unit)
    form = {"category": "street_lamp", "description": "路灯不亮", "lon": lon, "lat": lat, "crs": "wgs84",
            "reporter_phone": "13800005555", "client_id": "phone-1", "attribute[how_many]": "2"}  # fmt: skip
    assert client.get(reverse("report:start")).status_code == 200  # the phone opens the form first
    done = client.post(reverse("report:start"), {**form, "photos": [photo()]})
    case = Case.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("report:follow", args=[case.token])
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
    sms_link = links[f"case:{case.pk}:receipt:sms"]  # short, for one SMS: it leads to the follow page
    assert len(sms_link) <= 20 and client.get(sms_link)["Location"] == done["Location"]
    page = client.get(done["Location"]).content.decode()
    assert case.code in page and "待受理" in page

    assert client.post(reverse("report:start"), form)["Location"] == done["Location"]  # the phone retried
    assert Case.objects.count() == 1 and OutboxMessage.objects.count() == 2

    assert outbox.deliver() == 2 and outbox.deliver() == 0  # the unit's message and the SMS, once each
    told = set(
        Message.objects.filter(outbox_key__startswith=f"case:{case.pk}:new:").values_list("user", flat=True)
    )
    assert told == set(accounts.unit_users(unit.pk).values_list("pk", flat=True)) and cast.worker.pk in told


def test_a_report_whose_place_is_not_a_number_is_refused_on_its_field_and_makes_nothing(client, town):
    lon, lat = inside(town.units[0])
    form = {
        "category": "garbage_dumping",
        "description": "垃圾",
        "lon": "东经119度",
        "lat": lat,
        "client_id": "n1",
    }
    refused = client.post(reverse("report:start"), form)
    assert refused.status_code == 400 and "坐标应为数字" in refused.content.decode()
    assert "东经119度" in refused.content.decode()  # the form comes back as it was sent
    assert not Case.objects.exists()
    assert client.post(reverse("report:start"), {**form, "lon": lon}).status_code == 302
