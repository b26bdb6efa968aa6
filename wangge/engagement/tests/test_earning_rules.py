"""积分规则: points are earned by the scene's rules, for a person or a household, within each rule's limit
per period; a resident's report accepted as real earns its points once (the case's acceptance is the
confirmation), and only in the rule's categories."""

import pytest
from django.core.exceptions import ValidationError

from testkit import UserFactory, grid_worker
from wangge.cases import services as cases
from wangge.cases.tests.helpers import report
from wangge.core.scenes import SceneApplication
from wangge.engagement import services
from wangge.engagement.models import PointTransfer
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(town):
    household, (father, daughter) = household_with_people(town.units[0], names=("张大山", "张小红"))
    return household, father, daughter, grid_worker(town.units[0])


def test_rules_pay_a_person_or_a_household_within_their_limit(family):
    household, father, daughter, worker = family
    hours = services.earn("volunteer_hour", by=worker, person=daughter, quantity=2.5, detail="敬老院陪护")
    assert hours.amount == 25 and hours.reason == "志愿服务：敬老院陪护（2.5小时）"
    assert hours.credit == services.account_of(person=daughter)
    clean = services.earn("courtyard", by=worker, person=father)  # a household rule pays the household
    assert clean.credit == services.account_of(household=household) and clean.amount == 5
    with pytest.raises(ValidationError) as limit:
        services.earn("courtyard", by=worker, household=household)
    assert "“庭院整洁（村规民约）”本月最多 5 分，还可发 0 分，本次 5 分" in str(limit.value)
    services.earn("volunteer_hour", by=worker, person=daughter, quantity=27.5)  # 275: 300 in all
    with pytest.raises(ValidationError) as over:
        services.earn("volunteer_hour", by=worker, person=daughter, quantity=1)
    assert "还可发 0 分" in str(over.value)
    services.correct(hours, reason="时长记错", by=worker)  # a correction gives the limit back
    assert services.earn("volunteer_hour", by=worker, person=daughter, quantity=2).amount == 20
    with pytest.raises(ValidationError) as unknown:
        services.earn("singing", by=worker, person=daughter)
    assert "没有积分规则“singing”" in str(unknown.value) and "志愿服务（volunteer_hour）" in str(
        unknown.value
    )
    assert services.check_balances() == []


def test_a_residents_report_accepted_as_real_earns_once_and_only_in_the_rules_categories(town, family):
    household, father, daughter, worker = family
    centre = UserFactory(role="centre_staff", is_superuser=True)
    resident = UserFactory(role="resident", phone=daughter.phone)
    hazard = report(town.units[0], "fire_hazard", by=resident, description="楼道堆放杂物堵塞消防通道")
    litter = report(town.units[0], "garbage_dumping", by=resident)
    cases.accept(hazard, by=centre)
    cases.accept(litter, by=centre)
    [earned] = PointTransfer.objects.filter(rule="report_confirmed")
    assert earned.credit == services.account_of(person=daughter) and earned.amount == 5
    assert earned.source == f"case:{hazard.code}" and earned.by == centre
    with pytest.raises(ValidationError) as again:  # the same cause cannot earn twice, even by hand
        services.earn("report_confirmed", by=worker, person=daughter, source=f"case:{hazard.code}")
    assert "这件事已经发过积分" in str(again.value)


def test_a_scene_can_set_its_own_rules_and_a_bad_rule_is_refused(town, family):
    household, father, daughter, worker = family
    from wangge.engagement.scene import PointsSection

    with pytest.raises(ValueError) as bad:
        PointsSection.model_validate({"rules": [{"key": "x", "name": "x", "points": 10, "limit": 5}]})
    assert "上限 5 小于一次的积分 10" in str(bad.value)
    app = SceneApplication.objects.get()
    app.data["points"] = {
        "rules": [{"key": "rules_kept", "name": "村规民约", "points": 3, "holder": "household"}]
    }
    app.save()
    assert services.earn("rules_kept", by=worker, person=father).amount == 3
    with pytest.raises(ValidationError):
        services.earn("volunteer_hour", by=worker, person=father)
