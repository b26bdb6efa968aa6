"""The sentences the system writes (a message's title, a timeline's note) are kept as their message id
and arguments and shown in the reader's language: a clerk acting in English does not send the worker an
English message, and a reader in English sees an English timeline. Two cases never read alike."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from wangge.cases import services as cases
from wangge.cases.models import CaseEvent
from wangge.cases.tests.helpers import Cast, report
from wangge.core import outbox
from wangge.core.models import Message

pytestmark = pytest.mark.django_db


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def test_a_message_sent_by_a_clerk_in_english_reads_in_each_readers_language(client, town):
    cast = Cast(town)
    first, second = report(town.units[0], "street_lamp"), report(town.units[1], "street_lamp")
    with translation.override("en"):  # the centre's clerk works in English
        for case in (first, second):
            cases.accept(case, by=cast.centre)
            cases.dispatch(case, by=cast.centre)  # street lamps: the housing department
    outbox.deliver()
    stored = set(Message.objects.filter(user=cast.housing).values_list("title", flat=True))
    # kept in the site's language, each naming its case: two lamps do not read alike
    assert stored == {f"派遣给您的事件：{c.code} {c.category.name}" for c in (first, second)}
    client.force_login(cast.housing)
    in_chinese(client)
    page = client.get(reverse("messages"), {"view": "all"}).content.decode()
    assert f"派遣给您的事件：{first.code}" in page
    in_english(client)
    page = client.get(reverse("messages"), {"view": "all"}).content.decode()
    assert f"Case dispatched to you: {first.code}" in page and "派遣给您的事件" not in page
    digest = client.get(reverse("messages")).content.decode()  # grouped by case: the latest title, in English
    assert f"Case dispatched to you: {second.code}" in digest
    api = client.get("/api/messages").json()["items"]
    assert {m["title"] for m in api} == {
        f"Case dispatched to you: {c.code} {c.category.name}" for c in (first, second)
    }
    assert client.get("/api/messages/digest").json()["items"][0]["title"].startswith("Case dispatched to you")


def test_the_timeline_of_an_escalation_reads_in_the_readers_language(client, town):
    cast = Cast(town)
    case = report(town.units[0])
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.worker)
    with translation.override("en"):  # whatever language the process runs in
        cases.sweep(case.stage_due_at + timedelta(minutes=1))
    event = case.events.get(action=CaseEvent.Action.OVERDUE)
    assert event.comment == f"超过本环节时限，升级至 {town.thirds[0].name}" and event.actor_name == "系统"
    client.force_login(cast.centre)
    in_english(client)
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"Stage deadline passed; escalated to {town.thirds[0].name}" in page
    assert "System" in page and "超过本环节时限" not in page
    steps = client.get(f"/api/cases/{case.code}").json()["events"]
    assert any(s["comment"].startswith("Stage deadline passed") and s["actor"] == "System" for s in steps)
    in_chinese(client)
    assert (
        f"超过本环节时限，升级至 {town.thirds[0].name}"
        in client.get(case.get_absolute_url()).content.decode()
    )


def test_a_sentence_with_a_label_in_it_translates_the_label_too(client, town):
    """A return call's outcome is a choice's label: the note keeps it as its id, not as the caller's words."""
    cast = Cast(town)
    case = report(town.units[0], reporter_phone="13900001111")
    cases.accept(case, by=cast.centre)
    cases.dispatch(case, by=cast.centre)
    cases.handle(case, by=cast.worker, comment="已清运")
    cases.verify(case, by=cast.centre, passed=True)
    with translation.override("en"):
        cases.return_call(case, by=cast.centre, outcome="satisfied", comment="居民很满意")
    event = case.events.get(action=CaseEvent.Action.RETURN_CALL)
    assert event.comment == "满意：居民很满意"
    client.force_login(cast.centre)
    in_english(client)
    assert "Satisfied: 居民很满意" in client.get(case.get_absolute_url()).content.decode()
