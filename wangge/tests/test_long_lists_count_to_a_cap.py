"""A list of a million rows is not counted for every page: its pages and tabs count to a cap and read
"N+" past it (the search narrows it), the rows themselves still in order."""

import pytest
from django.urls import reverse

from wangge.cases import services as cases
from wangge.cases.tests.helpers import Cast, report
from wangge.core import pagination

pytestmark = pytest.mark.django_db


def test_the_queue_counts_its_tabs_and_pages_to_the_cap(client, town, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    cast = Cast(town)
    made = [report(town.units[0]) for _ in range(6)]
    for case in made[:2]:
        cases.accept(case, by=cast.centre)
    client.force_login(cast.centre)
    page = client.get(reverse("cases:queue"), {"tab": "reported"}).content.decode()
    assert "待受理 (3+)" in page and "待派遣 (2)" in page  # four waiting: past the cap of three
    listed = client.get(reverse("cases:queue"), {"tab": "all"})  # six cases, two pages of the first three
    assert listed.context["page"].paginator.shown_count == "3+" and "共 3+ 条" in listed.content.decode()
    assert [c.code for c in listed.context["page"]] == [c.code for c in reversed(made)][:3]


def test_a_short_list_counts_exactly(client, town):
    cast = Cast(town)
    report(town.units[0])
    client.force_login(cast.centre)
    listed = client.get(reverse("cases:queue"), {"tab": "all"})
    assert listed.context["page"].paginator.shown_count == "1" and "待受理 (1)" in listed.content.decode()
