"""The bulk writes the intake uses: rows read back as the ORM would have written them, keys never given
twice, and in-site messages delivered a batch at a time, once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from wangge.accounts.models import User
from wangge.cases.models import Case, CaseEvent, Category
from wangge.cases.tests.helpers import Cast
from wangge.core import bulk, outbox
from wangge.core.models import Message, OutboxMessage

pytestmark = pytest.mark.django_db


def new_case(town, **kw) -> Case:
    now = timezone.now().replace(microsecond=123456)
    category = Category.objects.filter(parent__isnull=False).first()
    return Case(
        code=kw.pop("code", "B0001"),
        channel=Case.Channel.RESIDENT,
        category=category,
        catalogue_version_id=category.version_id,
        description=gettext_lazy("路灯不亮"),  # a lazy string: the ORM's own preparation turns it into text
        lon=118.5,
        lat=31.25,
        attributes={"楼层": 3, "note": ["a", "b"]},
        grid=town.units[0],
        handler_grid_id=town.units[0].pk,
        reporter_name="张三",
        reporter_phone="13800001111",
        stage_due_at=now + timedelta(hours=4),
        next_check_at=now + timedelta(hours=3),
        **kw,
    )


def test_written_rows_read_back_as_the_orm_would_have_written_them(town):
    written = new_case(town)
    bulk.insert_objects([written])
    saved = new_case(town, code="B0002")
    saved.save()
    for case in (written, saved):
        case.refresh_from_db()
    differ = ("id", "code", "created", "last_updated", "token")  # a row's own, or stamped when written
    fields = [f.attname for f in Case._meta.concrete_fields if f.attname not in differ]
    assert {f: getattr(written, f) for f in fields} == {f: getattr(saved, f) for f in fields}
    assert written.description == "路灯不亮" and written.reporter_phone == "13800001111"
    assert written.created is not None and written.token  # stamped and generated as save() does
    with connection.cursor() as cur:  # the phone is encrypted at rest, as save() stores it
        cur.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [written.pk])
        assert "13800001111" not in cur.fetchone()[0]


def test_an_instance_made_by_new_is_the_one_the_constructor_makes(town, django_assert_num_queries):
    category = Category.objects.filter(parent__isnull=False).first()
    values = {"code": "B0003", "category": category, "catalogue_version_id": category.version_id,
              "description": "路灯不亮", "grid": town.units[0], "reporter": None, "token": "t0"}  # fmt: skip
    made, constructed = bulk.new(Case, **values), Case(**values)
    fields = [f.attname for f in Case._meta.concrete_fields]
    assert {f: getattr(made, f) for f in fields} == {f: getattr(constructed, f) for f in fields}
    assert made.status == Case.Status.REPORTED and made.attributes == {} and made.pk is None
    assert made.attributes is not bulk.new(Case, **values).attributes  # a default made for each
    with django_assert_num_queries(0):  # the related objects given are kept, as the descriptor keeps them
        assert made.category == category and made.grid == town.units[0] and made.reporter is None
    made.save()
    assert Case.objects.get(code="B0003").grid_id == town.units[0].pk
    with pytest.raises(TypeError, match="colour"):
        bulk.new(Case, colour="red")
    with pytest.raises(TypeError, match="Category"):
        bulk.new(Case, category=town.units[0])


def test_keys_drawn_are_never_given_again(town):
    case = new_case(town)
    case.save()
    first_events = bulk.next_ids(CaseEvent, 3)  # a table that never had a row
    drawn = bulk.next_ids(Case, 5)
    assert drawn == list(range(drawn[0], drawn[0] + 5)) and drawn[0] > case.pk
    later = new_case(town, code="B0003")
    later.save()  # the ORM's own insert goes past the drawn keys, though none of them was written
    assert later.pk > drawn[-1]
    event = CaseEvent.objects.create(case=later, action="report", to_status="reported")
    assert event.pk > first_events[-1]
    assert bulk.next_ids(Case, 1)[0] > later.pk


def test_site_messages_are_delivered_a_batch_at_a_time_and_once(town):
    cast = Cast(town)
    people = set(outbox.unit_users(town.units[0].pk).values_list("pk", flat=True))
    assert cast.worker.pk in people
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(25)])
    outbox.notify("to-one", user=cast.centre, title="只给中心")
    assert outbox.deliver(limit=1000, batch=10) == 26
    assert Message.objects.filter(outbox_key__startswith="k").count() == 25 * len(people)
    assert Message.objects.filter(user=cast.worker, title="t7").count() == 1
    assert list(Message.objects.filter(outbox_key__startswith="to-one").values_list("user", flat=True)) == [
        cast.centre.pk
    ]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert outbox.deliver() == 0  # sent once
    # a unit nobody holds yet: the row is sent, with no one to tell
    outbox.notify("empty", grid_id=town.units[7].pk, title="无人")
    User.objects.filter(pk__in=outbox.unit_users(town.units[7].pk)).update(is_active=False)
    assert outbox.deliver() == 1 and not Message.objects.filter(outbox_key__startswith="empty").exists()


def test_the_limit_bounds_one_delivery_run(town):
    Cast(town)
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(7)])
    assert outbox.deliver(limit=5, batch=2) == 5
    assert outbox.deliver(limit=5, batch=2) == 2


def test_the_delivery_task_runs_until_nothing_is_pending(town):
    from wangge.core.tasks import deliver_outbox

    Cast(town)
    outbox.queue([outbox.row(f"k{i}", grid_id=town.units[0].pk, title=f"t{i}") for i in range(7)])
    assert deliver_outbox.call(limit=3) == 7
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_people_of_several_units_are_found_at_once_as_one_by_one(town):
    from wangge.accounts.models import Department

    cast = Cast(town)
    User.objects.filter(pk=cast.other_worker.pk).update(is_active=False)  # gone: told no more
    housing = Department.objects.get(key="housing").pk
    units = {(town.units[0].pk, None), (town.units[7].pk, None), (town.root.pk, None), (None, housing)}
    found = outbox.unit_people(units)
    for grid_id, department_id in units:
        one_by_one = outbox.unit_users(grid_id, department_id).values_list("pk", flat=True)
        assert sorted(found[(grid_id, department_id)]) == sorted(one_by_one)
    assert cast.worker.pk in found[(town.units[0].pk, None)] and found[(town.units[7].pk, None)] == []
    assert found[(None, housing)] == [cast.housing.pk]
    assert cast.centre.pk in found[(town.root.pk, None)]


def test_rows_delivered_as_they_are_queued_are_sent_once(town):
    cast = Cast(town)
    rows = [
        outbox.row("a", grid_id=town.units[0].pk, title="t"),
        outbox.row("b", user=cast.centre, title="t"),
        outbox.row("c", channel="sms", phone="13800001111", title="t"),
    ]
    with pytest.raises(ValueError):
        outbox.prepare(rows, deliver_site=True)  # a key queued before may be delivered already
    ready = outbox.prepare(rows, new_keys=True, deliver_site=True)
    assert not Message.objects.exists()  # written with the rows, not before
    outbox.queue(ready)
    assert set(Message.objects.values_list("outbox_key", flat=True)) == {
        f"a:{cast.worker.pk}",
        f"b:{cast.centre.pk}",
    }
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert list(pending.values_list("key", flat=True)) == ["c"]
    assert outbox.deliver() == 1 and Message.objects.count() == 2
