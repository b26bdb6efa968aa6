"""Open311 GeoReport v2 as the spec writes it: discovery names its key service, every offered service
reads back what was POSTed to it, GET requests applies its window, status, service_code and
service_request_id as the spec says, lat/long are numbers, and bad parameters get 400 with the spec's
error list in .json and .xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases.models import Case
from wangge.cases.tests.helpers import inside

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def test_discovery_names_its_key_service_with_or_without_a_key(client, town, settings):
    assert client.get(f"{BASE}/discovery.json").json()["key_service"]
    settings.OPEN311_API_KEY = "k"
    assert "api_key" in client.get(f"{BASE}/discovery.json").json()["key_service"]
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.find("key_service").text


def _answers(definition: dict) -> dict:
    out = {}
    for a in definition.get("attributes", []):
        if a.get("required"):
            values = a.get("values") or [{"key": "1"}]
            out[f"attribute[{a['code']}]"] = values[0]["key"] if a["datatype"] != "number" else "1"
    return out


def test_every_offered_service_reads_back_what_was_posted_to_it(client, town):
    lon, lat = inside(town.units[0])
    for service in client.get(f"{BASE}/services.json").json():
        code = service["service_code"]
        definition = client.get(f"{BASE}/services/{code}.json").json() if service["metadata"] else {}
        form = {"service_code": code, "lat": lat, "long": lon, "description": f"测试 {code}"}
        form.update(_answers(definition))
        created = client.post(f"{BASE}/requests.json", form)
        assert created.status_code == 200, (code, created.content)
        request_id = created.json()[0]["service_request_id"]
        read = client.get(f"{BASE}/requests/{request_id}.json")
        assert read.status_code == 200 and read.json()[0]["service_code"] == code, code


def _post(client, unit, code="street_lamp", **extra) -> str:
    lon, lat = inside(unit)
    form = {"service_code": code, "lat": lat, "long": lon, "description": "路灯", "attribute[how_many]": "1"}
    return client.post(f"{BASE}/requests.json", {**form, **extra}).json()[0]["service_request_id"]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def test_get_requests_applies_the_window_status_codes_and_ids_as_the_spec_says(client, town):
    unit = town.units[0]
    new = _post(client, unit)
    hole = _post(client, unit, code="manhole_cover")
    old = _post(client, unit)
    Case.objects.filter(code=old).update(created=timezone.now() - timedelta(days=100))
    everything = client.get(f"{BASE}/requests.json")
    assert set(ids(everything)) == {new, hole}  # the most recent 90 days; the new ones included
    for item in everything.json():
        assert isinstance(item["lat"], float) and isinstance(item["long"], float)
    start = (timezone.now() - timedelta(days=120)).isoformat()
    end = (timezone.now() - timedelta(days=60)).isoformat()
    assert ids(client.get(f"{BASE}/requests.json", {"start_date": start, "end_date": end})) == [old]
    assert ids(client.get(f"{BASE}/requests.json", {"end_date": end})) == [old]  # 90 days up to it
    assert set(ids(client.get(f"{BASE}/requests.json", {"start_date": start}))) == {old}  # 90 days from it
    assert set(ids(client.get(f"{BASE}/requests.json", {"status": "open"}))) == {new, hole}
    assert set(ids(client.get(f"{BASE}/requests.json", {"status": "open,closed"}))) == {new, hole}
    assert ids(client.get(f"{BASE}/requests.json", {"status": "closed"})) == []
    both = client.get(f"{BASE}/requests.json", {"service_code": "street_lamp,manhole_cover"})
    assert set(ids(both)) == {new, hole}
    assert ids(client.get(f"{BASE}/requests.json", {"service_code": "manhole_cover"})) == [hole]
    # service_request_id overrides every other argument, the window included
    chosen = {"service_request_id": f"{new},{old}", "status": "closed", "service_code": "manhole_cover"}
    assert set(ids(client.get(f"{BASE}/requests.json", chosen))) == {new, old}


def test_a_request_placed_by_address_alone_still_has_numbers_for_lat_and_long(client, town):
    from wangge.cases import services as cases

    case = cases.report(cases.ReportIn(category="street_lamp", description="路灯", address="某路 1 号",
                                       grid_code=town.units[0].code))  # fmt: skip
    [item] = client.get(f"{BASE}/requests/{case.code}.json").json()
    assert isinstance(item["lat"], float) and isinstance(item["long"], float)


@pytest.mark.parametrize(
    "params, text",
    [
        ({"start_date": "2020-13-45T99:00:00Z"}, "start_date must be a w3 datetime"),
        ({"end_date": "yesterday"}, "end_date must be a w3 datetime"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "more than 90 days"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before start_date"),
        ({"status": "pending"}, "status must be"),
    ],
)
def test_bad_parameters_get_400_with_the_spec_error_list_in_both_formats(client, town, params, text):
    as_json = client.get(f"{BASE}/requests.json", params)
    assert as_json.status_code == 400 and as_json.json()[0]["code"] == 400
    assert text in as_json.json()[0]["description"]
    as_xml = client.get(f"{BASE}/requests.xml", params)
    root = ET.fromstring(as_xml.content)
    assert as_xml.status_code == 400 and root.tag == "errors" and root.find("error/code").text == "400"
    assert text in root.find("error/description").text
