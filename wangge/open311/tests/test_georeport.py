"""GeoReport v2 as the spec writes it: every resource in JSON and XML, form-encoded POST, errors."""

import xml.etree.ElementTree as ET

import pytest

from wangge.cases.models import Case
from wangge.cases.tests.helpers import inside, report

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_discovery_and_services_in_both_formats(client, town):
    d = client.get(f"{BASE}/discovery.json").json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert d["endpoints"][0]["url"].endswith("/open311/v2/")
    assert xml(client.get(f"{BASE}/discovery.xml")).find("endpoints/endpoint/formats/format") is not None
    services = client.get(f"{BASE}/services.json").json()
    lamp = next(s for s in services if s["service_code"] == "street_lamp")
    assert lamp == {
        "service_code": "street_lamp",
        "service_name": "路灯不亮",
        "description": "公共设施 / 路灯不亮",
        "metadata": True,
        "type": "realtime",
        "keywords": "公共设施,Street lamp out",
        "group": "公共设施",
    }
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and root.find("service/service_code").text == services[0]["service_code"]
    assert {s.find("metadata").text for s in root.findall("service")} == {"true", "false"}


def test_service_definitions_carry_the_extra_questions_and_private_categories_are_not_offered(client, town):
    d = client.get(f"{BASE}/services/street_lamp.json").json()
    how_many = next(a for a in d["attributes"] if a["code"] == "how_many")
    assert how_many["datatype"] == "number" and how_many["variable"] is True
    root = xml(client.get(f"{BASE}/services/street_lamp.xml"))
    assert root.tag == "service_definition" and root.find("attributes/attribute/code").text == "lamp_number"
    # a private category (a neighbours' dispute needs a visit to the family) is no Open311 service at all
    offered = {s["service_code"] for s in client.get(f"{BASE}/services.json").json()}
    assert "street_lamp" in offered and "neighbour_dispute" not in offered and "family_dispute" not in offered
    assert client.get(f"{BASE}/services/neighbour_dispute.json").status_code == 404
    lon, lat = inside(town.units[0])
    post = {"service_code": "neighbour_dispute", "lat": lat, "long": lon, "description": "楼上漏水"}
    assert client.post(f"{BASE}/requests.json", post).status_code == 404
    missing = client.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404 and missing.json() == [
        {"code": 404, "description": "service_code nope not found"}
    ]
    assert xml(client.get(f"{BASE}/services/nope.xml")).find("error/code").text == "404"


def test_post_a_request_form_encoded_then_find_it_by_id_token_and_filters(client, town, settings):
    lon, lat = inside(town.units[0])
    form = {"service_code": "street_lamp", "lat": lat, "long": lon, "description": "路灯不亮",
            "attribute[how_many]": "2", "phone": "13800006666", "first_name": "三",
            "last_name": "张"}  # fmt: skip
    created = client.post(f"{BASE}/requests.json", form)
    assert created.status_code == 200
    [answer] = created.json()
    case = Case.objects.get(code=answer["service_request_id"])
    assert (
        case.channel == "open311" and case.attributes == {"how_many": 2.0} and case.reporter_name == "张 三"
    )
    [got] = client.get(f"{BASE}/requests/{case.code}.json").json()
    assert got["status"] == "open" and got["service_code"] == "street_lamp" and got["lat"] == case.lat
    assert got["agency_responsible"] == "住建" and "13800006666" not in str(got) and "张" not in str(got)
    r = xml(client.get(f"{BASE}/requests/{case.code}.xml"))
    assert r.tag == "service_requests" and r.find("request/service_request_id").text == case.code
    assert client.get(f"{BASE}/tokens/{case.token}.json").json() == [
        {"service_request_id": case.code, "token": case.token}
    ]
    listed = client.get(f"{BASE}/requests.json", {"service_code": "street_lamp", "status": "open"}).json()
    assert [x["service_request_id"] for x in listed] == [case.code]
    assert client.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    many = client.get(f"{BASE}/requests.json", {"service_request_id": f"{case.code},NOPE"}).json()
    assert len(many) == 1
    # with an api_key configured, POST needs it
    settings.OPEN311_API_KEY = "s3cret"
    refused = client.post(f"{BASE}/requests.xml", form)
    assert (
        refused.status_code == 403
        and xml(refused).find("error/description").text == "api_key is missing or invalid"
    )
    assert client.post(f"{BASE}/requests.json", {**form, "api_key": "s3cret"}).status_code == 200


def test_bad_requests_get_the_spec_error_format_and_write_nothing(client, town):
    cases = [
        ({"lat": 27.4, "long": 119.5, "description": "x"}, 400, "service_code is required"),
        ({"service_code": "nope", "lat": 27.4, "long": 119.5}, 404, "service_code nope not found"),
        ({"service_code": "noise", "description": "x"}, 400, "a location is required"),
        ({"service_code": "noise", "lat": "north", "long": 1}, 400, "lat must be a number"),
        ({"service_code": "noise", "lat": 27.4, "long": 119.5, "description": ""}, 400, "请描述问题"),
    ]
    for form, status, text in cases:
        r = client.post(f"{BASE}/requests.json", form)
        assert r.status_code == status and text in r.json()[0]["description"], (form, r.content)
        assert r.json()[0]["code"] == status
    assert client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert client.get(f"{BASE}/requests/NOPE.json").status_code == 404
    assert Case.objects.count() == 0


def test_private_matters_stay_off_the_public_api(client, town):
    dispute = report(town.units[0], "family_dispute", description="家里吵架")
    lamp = report(town.units[0], "street_lamp", description="路灯")
    listed = [x["service_request_id"] for x in client.get(f"{BASE}/requests.json").json()]
    assert lamp.code in listed and dispute.code not in listed
    assert client.get(f"{BASE}/requests/{dispute.code}.json").status_code == 404
