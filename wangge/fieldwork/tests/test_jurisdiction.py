"""A worker of grid A gets "not found" for grid B's visits, patrols, services and disputes: every page with
an id, every list and export, every API route of field work and mediation."""

from datetime import date

import pytest
from django.urls import URLPattern, get_resolver, reverse

from testkit import grid_worker, staff
from wangge.cases.tests.helpers import photo
from wangge.core.excel import read_rows
from wangge.fieldwork import patrols, services
from wangge.mediation import services as mediation
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(town):
    """Records of the second village (units 4-7), and a worker of the first (unit 0)."""
    unit = town.units[7]
    their_worker = grid_worker(unit)
    hh, (head, _s) = household_with_people(unit, names=("邻格甲", "邻格乙"))
    visit = services.record_visit(
        services.VisitIn(household=hh.pk, client_id="theirs", notes="邻格的走访"),
        by=their_worker,
        photos=[photo()],
    )
    community = staff("community_staff", scope=town.seconds[1])
    plan = patrols.plan(
        grid=town.seconds[1],
        planned_on=date(2026, 11, 3),
        by=community,
        members=[{"name": "甲", "role": "居民小组长"}, {"name": "乙", "role": "业主代表"}],
    )
    patrols.record(
        plan,
        by=community,
        area="环境卫生",
        item="楼道杂物",
        description="邻格楼道",
        handling="on_spot",
        client_id="pf",
    )
    service = services.start_service(person_id=head.pk, kind="残疾证办理", mode="help", by=their_worker)
    dispute = mediation.record(
        mediation.DisputeIn(grid=unit.pk, kind="neighbour", summary="邻格的纠纷", parties=["某甲"]),
        by=their_worker,
    )
    mediation.add_session(dispute, by=their_worker, notes="调解")
    mediation.close(dispute, by=their_worker, status="agreed", outcome="和解", agreement="互不追究")
    mediation.sign(dispute, by=their_worker, party="某甲", upload=photo())
    return {
        "visit": visit,
        "plan": plan,
        "service": service,
        "dispute": dispute,
        "household": hh,
        "photo": None,
        "worker": grid_worker(town.units[0]),
    }


def pages(namespace: str):
    for top in get_resolver().url_patterns:
        if getattr(top, "namespace", None) == namespace:
            for p in top.url_patterns:
                if isinstance(p, URLPattern):
                    yield p.name, sorted(p.pattern.converters)


IDS = {
    ("fieldwork", "visit_form"): lambda t: {"household_id": t["household"].pk},
    ("fieldwork", "visit_detail"): lambda t: {"pk": t["visit"].pk},
    ("fieldwork", "campaign_detail"): None,  # campaigns: below
    ("fieldwork", "patrol_detail"): lambda t: {"pk": t["plan"].pk},
    ("fieldwork", "service_detail"): lambda t: {"pk": t["service"].pk},
    ("mediation", "detail"): lambda t: {"pk": t["dispute"].pk},
}


def test_every_page_with_an_id_of_another_grid_is_not_found(client, town, theirs):
    from wangge.fieldwork.models import VisitPhoto
    from wangge.mediation.models import Signature

    centre = staff("centre_staff", scope=town.root)
    campaign = services.create_campaign(
        name="邻格活动", grid=town.seconds[1], start=date(2026, 11, 1), end=date(2026, 11, 30), by=centre
    )
    client.force_login(theirs["worker"])
    checked = []
    for ns in ("fieldwork", "mediation"):
        for name, params in pages(ns):
            if not params or name == "patrol_public":  # the public outcome page is public by design
                continue
            kwargs = {
                ("fieldwork", "campaign_detail"): {"pk": campaign.pk},
                ("fieldwork", "visit_photo"): {"pk": VisitPhoto.objects.get().pk},
                ("mediation", "agreement"): {"pk": theirs["dispute"].pk},
                ("mediation", "signature"): {"pk": Signature.objects.get().pk},
            }.get((ns, name)) or IDS[(ns, name)](theirs)
            url = reverse(f"{ns}:{name}", kwargs=kwargs)
            assert client.get(url).status_code == 404, url
            checked.append(name)
    assert len(checked) == 9
    # POSTs to them are refused the same way and write nothing
    from wangge.fieldwork.models import PatrolFinding, Visit

    client.post(reverse("fieldwork:visit_form", args=[theirs["household"].pk]), {"client_id": "x"})
    client.post(
        reverse("fieldwork:patrol_detail", args=[theirs["plan"].pk]),
        {"item": "环境卫生|楼道杂物", "description": "越界", "handling": "on_spot", "client_id": "y"},
    )
    client.post(
        reverse("mediation:detail", args=[theirs["dispute"].pk]), {"action": "follow_up", "kept": "1"}
    )
    counts = (Visit.objects.count(), PatrolFinding.objects.count(), theirs["dispute"].follow_ups.count())
    assert counts == (1, 1, 0)


def test_lists_and_exports_hold_nothing_of_another_grid(client, theirs):
    client.force_login(theirs["worker"])
    for name, needle in (
        ("fieldwork:visit_list", "邻格的走访"),
        ("fieldwork:services", "邻格甲"),
        ("fieldwork:patrols", f"/fieldwork/patrols/{theirs['plan'].pk}/"),
        ("mediation:list", "邻格的纠纷"),
    ):
        assert needle not in client.get(reverse(name)).content.decode(), name
    for name in ("fieldwork:visit_list", "fieldwork:services", "mediation:list"):
        _h, rows = read_rows(client.get(reverse(name), {"format": "xlsx"}).content)
        assert rows == [], name
    assert "邻格甲" not in client.get(reverse("fieldwork:round"), {"tab": "week"}).content.decode()


def test_every_api_route_answers_not_found_or_nothing(client, theirs):
    client.force_login(theirs["worker"])
    assert client.get(f"/api/fieldwork/visits/{theirs['visit'].pk}").status_code == 404
    assert client.get("/api/fieldwork/visits").json()["count"] == 0
    assert all(
        d["household"] != theirs["household"].pk for d in client.get("/api/fieldwork/due?tab=week").json()
    )
    assert client.get(f"/api/mediation/disputes/{theirs['dispute'].pk}").status_code == 404
    assert client.get("/api/mediation/disputes").json()["count"] == 0
    r = client.post(
        "/api/fieldwork/visits",
        {"household": theirs["household"].pk, "client_id": "api-x"},
        content_type="application/json",
    )
    assert r.status_code == 422 and "不在您的网格内" in r.json()["errors"]["household"][0]


def test_the_same_pages_open_for_someone_whose_grids_hold_them(client, town, theirs):
    """The counterpart of the not-found test: every page with an id opens for the centre."""
    from wangge.fieldwork.models import VisitPhoto
    from wangge.mediation.models import Signature

    centre = staff("centre_staff", scope=town.root)
    campaign = services.create_campaign(
        name="全镇活动", grid=town.root, start=date(2026, 11, 1), end=date(2026, 11, 30), by=centre
    )
    client.force_login(centre)
    ids = {
        ("fieldwork", "campaign_detail"): {"pk": campaign.pk},
        ("fieldwork", "visit_photo"): {"pk": VisitPhoto.objects.get().pk},
        ("fieldwork", "patrol_public"): {"code": town.seconds[1].code},
        ("mediation", "agreement"): {"pk": theirs["dispute"].pk},
        ("mediation", "signature"): {"pk": Signature.objects.get().pk},
    }
    opened = []
    for ns in ("fieldwork", "mediation"):
        for name, params in pages(ns):
            kwargs = (ids.get((ns, name)) or IDS[(ns, name)](theirs)) if params else {}
            response = client.get(reverse(f"{ns}:{name}", kwargs=kwargs))
            assert response.status_code == 200, (name, response.status_code)
            opened.append(name)
    assert len(opened) >= 20
    text = client.get(reverse("fieldwork:patrol_analysis")).content.decode()
    assert "联动巡查共性问题" in text
