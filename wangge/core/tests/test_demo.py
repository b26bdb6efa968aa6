import pytest
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core import demo
from wangge.grids import services as grids
from wangge.grids.models import Grid

pytestmark = [pytest.mark.django_db, pytest.mark.long]


def test_demo_town_has_aoyangs_size_its_grids_tile_their_parents_and_it_has_its_people(empty_database):
    logins = demo.load()
    assert [Grid.objects.filter(depth=d).count() for d in (1, 2, 3, 4)] == [1, 11, 42, 170]
    town = Grid.objects.get(depth=1)
    assert town.households == 16970
    assert sum(Grid.objects.filter(depth=4).values_list("households", flat=True)) == 16970
    for parent in Grid.objects.filter(depth__lt=4):
        cov = grids.coverage(parent)
        assert cov.covered_share > 0.9999, parent.name
        assert cov.overlap_area_m2 < 1.0, parent.name  # square metres, from rounding coordinates to 1 cm
    # the places the seed articles name, as a clerk's ledger names them
    named = grids.grids_named(["敖东社区/第四网格", "广场新村网格"], Grid.objects.all())
    assert named["敖东社区/第四网格"].grid.get_parent().name == "敖东社区"
    assert named["广场新村网格"].grid.path.startswith(named["敖东社区/第四网格"].grid.get_parent().path)
    assert {login.username for login in logins} == set(User.objects.values_list("username", flat=True))
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)

    # The archive: loaded by the registry's demo step in the same load (one load: it takes seconds).
    from datetime import date

    from wangge.registry.models import Hazard, Household, Person
    from wangge.registry.validators import parse_citizen_id

    assert Household.objects.count() == 16970
    people = Person.objects.count()
    assert 55000 <= people <= 59000
    over_60 = Person.objects.filter(birth_date__lte=date(1966, 11, 1)).count()
    assert 0.17 <= over_60 / people <= 0.23
    for p in Person.objects.order_by("?")[:200]:
        info = parse_citizen_id(p.id_number)  # raises on a bad check digit
        assert info.number.startswith("350924") and info.birth_date == p.birth_date
    assert Person.objects.filter(memberships__group__key="elderly_alone").exists()
    assert 200 <= Hazard.objects.count() <= 1000
    assert not Household.objects.filter(head__isnull=True).exists()

    # Four weeks of cases, in every state of the loop, each with its history from the first step.
    from wangge.cases.models import Case

    states = set(Case.objects.values_list("status", flat=True))
    assert {"reported", "dispatched", "handled", "closed", "rejected"} <= states
    # 400 reports, and the cases the demo's joint patrols handed over
    from wangge.fieldwork.models import PatrolFinding, Visit

    handed_over = PatrolFinding.objects.exclude(case_code="").count()
    from wangge.cases import demo as cases_demo
    from wangge.command.models import Decision as Decided

    decided = Decided.objects.exclude(case_code="").count()  # the weekly review's decision made a case
    from wangge.engagement.models import CouncilTopic

    council = CouncilTopic.objects.exclude(case_code="").count()  # a residents' council's decision too
    made = (
        cases_demo.CASES + cases_demo.SHOWCASE + len(cases_demo.GAS_CLUSTER) + handed_over + decided + council
    )
    assert handed_over > 0 and Case.objects.count() == made
    # the loop's rules on real cases: hotline numbers, a repeat group handled together, a pause with its
    # clock continued, a 五必到 case waiting for someone on site, a return call
    assert not Case.objects.filter(channel="hotline", hotline_number__isnull=True).exists()
    assert Case.objects.filter(repeat_of__isnull=False, follows_first=True).count() == 2
    paused = Case.objects.get(description="路面塌陷，需等雨季过后修复")
    assert paused.status == "dispatched" and paused.events.filter(action="resume").exists()
    assert Case.objects.get(description="独居老人几天没出门，电话不接").status == "dispatched"
    assert Case.objects.filter(events__action="return_call").exists()
    # 12345 addresses: one placed by the address base, one waiting for a person with the reason
    placed, waiting = Case.objects.filter(hotline_number__startswith="SN-ADDR").order_by("hotline_number")
    assert placed.grid is not None and waiting.grid is None and "有 6 处" in waiting.attributes["未定位原因"]
    from wangge.core import outbox

    assert outbox.failed().filter(channel="sms").count() == 1  # an SMS refused, on 运行状况 to retry
    from wangge.registry.models import PersonChange

    assert PersonChange.objects.filter(field="phone").exists()  # a person's value history
    assert Case.objects.filter(events__action="dispute_outcome").exists()  # a dispute that came in as a case
    assert Case.objects.exclude(rating="").exists()
    assert Visit.objects.count() > 10000  # the last 90 days of visits
    assert not Visit.objects.filter(visited_at__gt=timezone.now()).exists()  # none "later today"
    assert not Case.objects.filter(events__isnull=True).exists()
    assert Case.objects.filter(
        events__action="report", events__at__lt=Case.objects.order_by("-created")[0].created
    ).exists()
    # last month's typhoon drill, worked through by the grid workers and closed with its summary
    from wangge.command.models import Operation

    drill = Operation.objects.get(drill=True)
    assert drill.status == "closed" and drill.summary["people"] == drill.checks.count() > 20
    settled = drill.checks.filter(state__in=["contacted", "moved", "refused"]).count()
    assert drill.summary["settled"] == settled
    assert drill.notices.get().households > 100
    # last week's review and last month's analysis, with the gas cluster's notice; the review's meeting
    from wangge.command.models import AnalysisReport, Decision

    town_ = Grid.objects.get(depth=1)
    review = AnalysisReport.objects.get(kind="weekly", grid=town_, version=1)
    assert any("胜利街3号" in n for n in review.content["notices"]), review.content["notices"]
    assert AnalysisReport.objects.filter(kind="monthly", grid=town_).exists()
    assert review.meetings.get().decisions.count() == 3 and Decision.objects.filter(state="done").count() == 1
    # the demo resident signs in to their own household and points: points shops with donated goods, a
    # month of points earned and spent, every balance its ledger's sum
    from wangge.engagement import services as points
    from wangge.engagement.models import PointTransfer, Redemption, Shop, StockMove
    from wangge.registry import services as registry

    resident = User.objects.get(username="resident")
    assert registry.person_of_user(resident) is not None
    [mine, _home] = points.accounts_of_resident(resident)
    assert mine.balance > 0 and Redemption.objects.filter(account=mine).exists()
    assert Shop.objects.count() == 3
    assert StockMove.objects.filter(kind="donated", donor__isnull=False).count() >= 18
    assert PointTransfer.objects.filter(kind="grant").count() > 300 and Redemption.objects.count() > 20
    assert points.check_balances() == [] and points.stock_mismatches() == []
    assert points.closed_month_mismatches() == []  # last month closed (if it ended an hour ago) and right
    # volunteers and 双报到: teams with a month of activities and confirmed hours, the demo resident a
    # volunteer and a party member; units, 关键小事 claimed and done with a photo
    from wangge.engagement.models import Activity, PartyMember, SignUp, Task

    assert Activity.objects.filter(status="done").exists() and Activity.objects.filter(status="open").exists()
    assert SignUp.objects.filter(confirmed_at__isnull=False, points__isnull=False).count() > 20
    assert points.volunteer_record(registry.person_of_user(resident)).hours > 0
    assert PartyMember.objects.filter(person=registry.person_of_user(resident)).exists()
    assert Task.objects.filter(status="done", photos__isnull=False).count() >= 5
    assert Task.objects.filter(status="open").exists()
    # spare keys in the demo worker's grid: one out past its time, one given back to its owner
    from wangge.engagement.services import keys

    worker = User.objects.get(username="worker")
    assert keys.keys_for(worker).count() == 4 and keys.overdue(keys.keys_for(worker)).count() == 1
    assert keys.keys_for(worker).filter(status="returned").count() == 1
    # notices: the drill's typhoon notice reached the residents' page through engagement, and two more
    from wangge.engagement.models import ResidentNotice

    assert ResidentNotice.objects.filter(urgent=True, sms=True, households__gt=100).exists()
    assert services_home_notices(resident) >= 1
    # the awareness survey's two rounds, the second higher
    from wangge.engagement.models import Survey

    [(first, r1), (second, r2)] = points.trend(Survey.objects.get())
    assert first.closed and not second.closed and r1.rate < r2.rate and r1.answered > 50
    # a council's decided matter followed to its case, published on the grid's notice board
    from wangge.engagement.models import CouncilTopic

    decided = CouncilTopic.objects.get(status="following")
    assert Case.objects.filter(code=decided.case_code).exists() and decided.notice is not None


def services_home_notices(resident) -> int:
    from wangge.engagement import services as points

    return points.notices_of_resident(resident).count()
