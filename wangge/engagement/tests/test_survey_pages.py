"""The survey pages: the clerk creates a survey from lines of text and draws a round; a worker answers for
a sampled household of their own grid in person and cannot reach another grid's; a resident answers once
through their household's link without logging in; the results show rates with intervals; another
community sees none of it."""

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.engagement.models import SampledHousehold, Survey
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_a_round_through_the_pages(client, town):
    for unit in (town.units[0], town.units[1]):
        for n in range(3):
            household_with_people(unit, names=(f"住{unit.pk}{n}",))
    clerk = staff("community_staff", scope=town.seconds[0])
    client.force_login(clerk)
    bad = client.post(
        reverse("engagement:survey_new"),
        {"grid": town.seconds[0].pk, "title": "知晓率", "questions": "题目|只有一个选项|1"},
        follow=True,
    )
    assert "题目：第 1 行格式不对" in bad.content.decode() and not Survey.objects.exists()
    client.post(
        reverse("engagement:survey_new"),
        {"grid": town.seconds[0].pk, "title": "平安知晓率", "questions": "知道网格员吗？|知道/不知道|1"},
    )
    sv = Survey.objects.get()
    client.post(reverse("engagement:round_new", args=[sv.pk]), {"per_grid": 2, "seed": "s1"})
    rnd = sv.rounds.get()
    assert rnd.sample.count() == 4
    mine = rnd.sample.filter(grid=town.units[0]).first()
    theirs = rnd.sample.filter(grid=town.units[1]).first()
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    q = sv.questions.get()
    assert client.get(reverse("engagement:sample_answer", args=[theirs.pk])).status_code == 404
    client.post(reverse("engagement:sample_answer", args=[mine.pk]), {f"q{q.pk}": "0"})
    client.logout()
    link = reverse("board:survey", args=[theirs.token])
    assert "知道网格员吗？" in client.get(link).content.decode()
    client.post(link, {f"q{q.pk}": "1"})
    assert "本户已作答" in client.get(link).content.decode()
    assert client.get(reverse("board:survey", args=["nope"])).status_code == 404
    answered = SampledHousehold.objects.filter(answered_at__isnull=False)
    assert set(answered.values_list("mode", flat=True)) == {"in_person", "link"}
    client.force_login(clerk)
    page = client.get(reverse("engagement:survey_round", args=[rnd.pk])).content.decode()
    assert "50.0%" in page and "9.5% – 90.5%" in page  # 1 of 2, with its Wilson interval
    client.force_login(staff("community_staff", scope=town.seconds[1]))
    assert client.get(reverse("engagement:survey", args=[sv.pk])).status_code == 404
    assert client.get(reverse("engagement:survey_round", args=[rnd.pk])).status_code == 404
