"""知晓率: a round draws the same households again from the same seed; a household answers every question
once; the rate per grid and question carries its sample size and a 95% interval; rounds make a trend."""

import pytest
from django.core.exceptions import ValidationError

from testkit import staff
from wangge.engagement import services
from wangge.engagement.models import SampledHousehold
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db

QUESTIONS = """您知道本网格的网格员是谁吗？|知道/不知道|1
遇到问题可以拨打哪个热线？|12345/110/不清楚|1"""


@pytest.fixture
def survey(town):
    for unit in town.units[:2]:
        for n in range(6):
            household_with_people(unit, names=(f"住户{unit.pk}{n}",))
    clerk = staff("community_staff", scope=town.seconds[0])
    return services.create_survey(town.seconds[0], title="平安建设知晓率", by=clerk,
                                  questions=services.parse_questions(QUESTIONS)), clerk  # fmt: skip


def test_the_sample_is_reproducible_and_answers_are_taken_once(survey):
    sv, clerk = survey
    with pytest.raises(ValidationError) as bad:
        services.parse_questions("只有题目没有选项")
    assert "第 1 行格式不对" in str(bad.value)
    first = services.start_round(sv, per_grid=3, by=clerk, seed="2026-12")
    drawn = sorted(first.sample.values_list("household", flat=True))
    assert first.sample.count() == 6  # 3 in each of the two unit grids with households
    services.close_round(first)
    again = services.start_round(sv, per_grid=3, by=clerk, seed="2026-12")
    assert sorted(again.sample.values_list("household", flat=True)) == drawn
    q1, q2 = sv.questions.all()
    one = again.sample.first()
    with pytest.raises(ValidationError) as partial:
        services.answer(one, {q1.pk: 0}, mode="in_person", by=clerk)
    assert "请回答第 2 题" in str(partial.value)
    services.answer(one, {q1.pk: 0, q2.pk: 2}, mode="in_person", by=clerk)
    with pytest.raises(ValidationError) as twice:
        services.answer(one, {q1.pk: 1, q2.pk: 1}, mode="link")
    assert "该户本轮已作答" in str(twice.value)


def test_rates_carry_their_sample_and_a_wilson_interval_and_rounds_make_a_trend(survey):
    sv, clerk = survey
    q1, q2 = sv.questions.all()
    rnd = services.start_round(sv, per_grid=5, by=clerk, seed="a")
    for n, sampled in enumerate(SampledHousehold.objects.filter(round=rnd).order_by("pk")):
        services.answer(sampled, {q1.pk: 0 if n < 7 else 1, q2.pk: 0}, mode="in_person", by=clerk)
    overall, per_grid, per_question = services.results(rnd)
    assert (per_question[0].aware, per_question[0].answered) == (7, 10)
    low, high = per_question[0].interval
    assert round(low, 3) == 0.397 and round(high, 3) == 0.892  # Wilson, 7 of 10
    assert (overall.aware, overall.answered) == (17, 20) and len(per_grid) == 2
    services.close_round(rnd)
    later = services.start_round(sv, per_grid=5, by=clerk, seed="b")
    for sampled in later.sample.all():
        services.answer(sampled, {q1.pk: 0, q2.pk: 0}, mode="link")
    [(r1, first), (r2, second)] = services.trend(sv)
    assert first.rate == 0.85 and second.rate == 1.0
