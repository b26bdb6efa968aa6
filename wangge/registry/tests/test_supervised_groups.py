"""A department sees exactly the special groups it supervises by law (公安: 吸毒人员; 司法: 社区矫正),
area-wide and masked, and every read of them is in the audit log; nobody else sees them this way."""

from datetime import timedelta

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import Department
from wangge.audit.models import AuditRecord
from wangge.core.excel import read_rows
from wangge.registry import services as registry
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(town):
    _h, (drug_here, _s1) = household_with_people(
        town.units[0], names=("吸毒甲", "家属甲"), groups=("drug_user",)
    )
    _h, (drug_there, _s2) = household_with_people(
        town.units[7], names=("吸毒乙", "家属乙"), groups=("drug_user",)
    )
    _h, (corrected, _s3) = household_with_people(town.units[3], names=("矫正丙", "家属丙"),
                                                 groups=("community_correction",))  # fmt: skip
    _h, (elderly, _s4) = household_with_people(
        town.units[0], names=("老人丁", "家属丁"), groups=("elderly_alone",)
    )
    return drug_here, drug_there, corrected, elderly


def officer(key):
    return staff("department_staff", department=Department.objects.get(key=key))


def test_each_department_sees_exactly_its_supervised_groups_area_wide(town, people):
    drug_here, drug_there, corrected, _elderly = people
    police, justice, housing = officer("police"), officer("justice"), officer("housing")
    assert set(registry.supervised_persons(police)) == {drug_here, drug_there}
    assert set(registry.supervised_persons(justice)) == {corrected}
    assert not registry.supervised_persons(housing).exists()
    assert not registry.supervised_persons(
        grid_worker(town.units[0])
    ).exists()  # workers see them in their grid
    # ended memberships and people moved out are not supervised any more
    drug_there.memberships.update(end=registry.today() - timedelta(days=1))
    assert set(registry.supervised_persons(police)) == {drug_here}


def test_the_page_the_export_and_the_api_are_masked_and_audited(client, town, people):
    drug_here, *_rest = people
    police = officer("police")
    client.force_login(police)
    page = client.get(reverse("registry:supervised")).content.decode()
    assert "吸毒甲" in page and "吸毒乙" in page and "矫正丙" not in page and "老人丁" not in page
    assert drug_here.id_number not in page and drug_here.phone not in page  # masked
    assert "家属甲" not in page  # their households are not opened to the department
    exported = client.get(reverse("registry:supervised"), {"format": "xlsx"})
    header, rows = read_rows(exported.content)
    assert len(rows) == 2 and drug_here.id_number not in str(rows)
    answer = client.get("/api/registry/supervised", {"q": "甲"}).json()
    (only,) = answer["items"]
    assert answer["count"] == 1 and only["groups"] == ["drug_user"] and "*" in only["id_number"]
    reads = AuditRecord.objects.filter(actor=police, action="view_sensitive").order_by("pk")
    assert [r.detail["count"] for r in reads] == [2, 2, 1]  # the page, the export, the API
    assert all(
        set(r.detail["groups"]) == {"drug_user", "released_prisoner", "mental_disorder"} for r in reads
    )
    assert reads.last().detail["q"] == "甲"


def test_nobody_else_opens_the_supervised_list(client, town, people):
    client.force_login(grid_worker(town.units[0]))
    assert client.get(reverse("registry:supervised")).status_code == 403
    assert client.get("/api/registry/supervised").status_code == 403
    client.force_login(staff("centre_staff", scope=town.root))
    assert client.get(reverse("registry:supervised")).status_code == 403


def test_a_scene_naming_an_unknown_supervising_department_is_refused(town):
    from wangge.core.scenes import SceneError
    from wangge.registry.scene import GroupIn, RegistrySection, apply

    group = GroupIn(key="drug_user", name="吸毒人员", supervised_by=["polise"])
    section = RegistrySection(special_groups=[group])
    with pytest.raises(SceneError, match="未知的部门 polise"):
        apply(section)
