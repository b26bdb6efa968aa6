from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from wangge.cases import services as cases
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.helpers import Cast, inside, photo, report

pytestmark = pytest.mark.django_db
S = Case.Status


def test_routing_follows_the_catalogue_and_falls_back_to_the_place(town):
    unit = town.units[0]
    lamp = report(unit, "street_lamp", description="路灯不亮", attributes={"how_many": "2"})
    assert (
        lamp.handler_department.key == "housing"
        and lamp.grid == unit
        and lamp.attributes == {"how_many": 2.0}
    )
    assert report(unit).handler_grid == unit  # level:unit
    assert report(unit, "noise", description="夜里施工").handler_grid == town.thirds[0]  # level:third
    assert report(unit, "other_issue", description="别的事").handler_grid == unit  # nobody named: 属地兜底
    outside = cases.report(cases.ReportIn(category="noise", description="远处", lon=100.0, lat=20.0))
    assert outside.grid is None and outside.handler_grid == town.root
    assert outside.events.get().comment == "位置不在任何网格内，转街镇中心受理"
    assert lamp.catalogue_version.number == 1


def test_the_whole_loop_from_report_to_rating(town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", description="3号路灯不亮", reporter_phone="13800001111",
                  photos=[photo()])  # fmt: skip
    assert case.status == S.REPORTED and case.stage_due_at > timezone.now()
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    assert case.status == S.DISPATCHED and case.handler_department.key == "housing" and case.due_at
    cases.add_note(case, by=cast.housing, comment="已联系电工")
    cases.handle(case, by=cast.housing, comment="更换灯泡，已亮", photos=[photo("after.jpg", "green")])
    cases.verify(case, by=cast.worker, passed=True, comment="现场已亮")
    assert case.status == S.CLOSED and case.outcome == Case.Outcome.SOLVED
    cases.rate(case, rating="satisfied")
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "note", "handle", "verify_pass", "rate"]
    assert case.photos.count() == 2 and case.events.get(action="handle").photos.count() == 1


def test_a_department_cannot_act_on_a_case_that_is_not_with_it(town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", description="灯坏了")
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    with pytest.raises(PermissionDenied):
        cases.handle(case, by=cast.police, comment="不是我们的")
    with pytest.raises(PermissionDenied):
        cases.accept(report(town.units[7]), by=cast.worker)  # another grid's case


def test_rejection_return_and_re_dispatch_need_reasons(town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", description="灯不亮")
    with pytest.raises(ValidationError) as err:
        cases.reject(case, by=cast.worker, reason="insufficient", comment=" ")
    assert "请填写不予受理的说明" in str(err.value)
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre, to_department=cast.police.department)
    with pytest.raises(ValidationError):
        cases.return_case(case, by=cast.police, comment="")
    cases.return_case(case, by=cast.police, comment="路灯归住建管")
    assert case.status == S.ACCEPTED and case.handler_department is None and case.handler_grid == town.root
    cases.dispatch(case, by=cast.centre, to_department=cast.housing.department)
    assert case.handler_department.key == "housing"
    assert cast.police.department_id in set(case.events.values_list("to_department", flat=True))
    # the return window has passed: the department must handle it
    Case.objects.filter(pk=case.pk).update(returned_until=timezone.now() - timedelta(minutes=1))
    case.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        cases.return_case(case, by=cast.housing, comment="太晚了")
    assert "已超过可退回期限" in str(err.value)
    other = report(town.units[0], description="垃圾")
    cases.reject(other, by=cast.worker, reason="duplicate", comment="已有人反映")
    assert other.status == S.REJECTED and other.answer == "重复反映：已有人反映"


def test_failed_verification_and_an_unsatisfied_rating_send_it_back_to_the_same_handler(town):
    cast = Cast(town)
    case = report(town.units[0])
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.worker)
    cases.handle(case, by=cast.worker, comment="清理了")
    cases.verify(case, by=cast.centre, passed=False, comment="还有一堆没清")
    assert case.status == S.DISPATCHED and case.reopened == 1 and case.handler_grid == town.units[0]
    cases.handle(case, by=cast.worker, comment="全部清理")
    cases.verify(case, by=cast.centre, passed=True)
    with pytest.raises(ValidationError):
        cases.rate(case, rating="unsatisfied", comment="")
    cases.rate(case, rating="unsatisfied", comment="第二天又堆满了")
    assert case.status == S.DISPATCHED and case.reopened == 2 and case.rating == "unsatisfied"
    assert list(case.events.values_list("action", flat=True))[-2:] == ["rate", "reopen"]


def test_extension_suspension_supervision_and_cannot_solve(town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", description="一排路灯都坏了")
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)
    due = case.stage_due_at
    with pytest.raises(ValidationError):
        cases.request_extension(case, by=cast.housing, until=due - timedelta(hours=1), comment="等配件")
    cases.request_extension(case, by=cast.housing, until=due + timedelta(days=5), comment="等配件")
    with pytest.raises(PermissionDenied):
        cases.decide_extension(case, by=cast.housing, approve=True)
    cases.decide_extension(case, by=cast.centre, approve=True, comment="同意")
    assert case.stage_due_at == due + timedelta(days=5) and case.due_at == case.stage_due_at
    cases.supervise(case, by=cast.leader, comment="尽快")
    assert case.supervised
    # the handler asks; only the centre suspends or closes as unsolvable
    with pytest.raises(PermissionDenied):
        cases.suspend(case, by=cast.housing, comment="等待电力公司")
    cases.request_suspension(case, by=cast.housing, comment="等待电力公司")
    assert case.status == S.DISPATCHED and case.pending_request == "suspend"
    with pytest.raises(PermissionDenied):
        cases.decide_request(case, by=cast.housing, approve=True)
    cases.decide_request(case, by=cast.centre, approve=True)
    assert case.status == S.SUSPENDED and case.next_check_at is None and not case.pending_request
    assert case.events.filter(action="suspend", comment="等待电力公司").exists()  # the reason kept
    cases.resume(case, by=cast.housing)
    assert case.status == S.DISPATCHED
    with pytest.raises(ValidationError):
        cases.request_unsolvable(case, by=cast.housing, explanation="")
    cases.request_unsolvable(case, by=cast.housing, explanation="线路属电力公司，已转告")
    with pytest.raises(ValidationError):  # a refusal says why
        cases.decide_request(case, by=cast.centre, approve=False)
    cases.decide_request(case, by=cast.centre, approve=False, comment="请先联系电力公司现场核实")
    assert case.status == S.DISPATCHED and not case.pending_request
    cases.request_unsolvable(case, by=cast.housing, explanation="线路属电力公司，已转告")
    cases.decide_request(case, by=cast.centre, approve=True)
    assert (
        case.status == S.CLOSED and case.outcome == "unsolvable" and case.answer == "线路属电力公司，已转告"
    )


def test_a_worker_solves_it_on_the_spot_with_an_after_photo(town):
    cast = Cast(town)
    lon, lat = inside(town.units[0])
    data = cases.ReportIn(category="garbage_dumping", description="路口垃圾", lon=lon, lat=lat,
                          channel=Case.Channel.WORKER, on_spot=True)  # fmt: skip
    with pytest.raises(ValidationError):
        cases.report(data, by=cast.worker, photos=[photo()])  # no after-photo
    case = cases.report(data, by=cast.worker, photos=[photo()], after_photos=[photo("after.jpg")])
    assert case.status == S.CLOSED and case.outcome == "on_spot" and case.handler_grid == town.units[0]
    assert list(case.events.values_list("action", flat=True)) == ["report", "on_spot"]
    lamp = cases.ReportIn(
        category="street_lamp", description="灯", lon=lon, lat=lat, channel="worker", on_spot=True
    )
    with pytest.raises(ValidationError):
        cases.report(lamp, by=cast.worker, after_photos=[photo()])  # a department's matter
    worker_report = cases.report(cases.ReportIn(category="street_lamp", description="灯", lon=lon, lat=lat,
                                                channel="worker"), by=cast.worker)  # fmt: skip
    assert worker_report.status == S.ACCEPTED  # a worker's report is accepted on entry


def test_a_retried_submission_makes_one_case_and_bad_input_writes_nothing(town):
    lon, lat = inside(town.units[0])
    data = cases.ReportIn(
        category="garbage_dumping", description="垃圾", lon=lon, lat=lat, client_id="phone-1-abc"
    )
    phone = "a1" * 16  # the anonymous phone's device id
    first = cases.report(data, device=phone)
    assert cases.report(data, device=phone).pk == first.pk and Case.objects.count() == 1
    here = {"lon": lon, "lat": lat}
    bad = [
        (cases.ReportIn(category="", description="x", lon=lon, lat=lat), "请选择事件类别"),
        (cases.ReportIn(category="nope", description="x", lon=lon, lat=lat), "未知的事件类别：nope"),
        (cases.ReportIn(category="noise", description="", lon=lon, lat=lat), "请描述问题"),
        (cases.ReportIn(category="noise", description="x", lon=200, lat=lat), "经度须在"),
        (cases.ReportIn(category="noise", description="x"), "请在地图上标出位置，或填写地址"),
        (cases.ReportIn(category="noise", description="x", reporter_phone="1a", **here), "电话号码格式"),
        (cases.ReportIn(category="neighbour_dispute", description="x", **here), "请填写：纠纷类型"),
        (cases.ReportIn(category="neighbour_dispute", description="x", attributes={"kind": "打架"}, **here),
         "纠纷类型 的选项无效"),
    ]  # fmt: skip
    for data, message in bad:
        with pytest.raises(ValidationError) as err:
            cases.report(data)
        assert message in str(err.value), (data, err.value)
    fake = photo()
    fake.file.write(b"not really")
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("x.jpg", b"hello, I am text", content_type="image/jpeg")
    with pytest.raises(ValidationError) as err:
        cases.report(cases.ReportIn(category="noise", description="x", lon=lon, lat=lat), photos=[text])
    assert "x.jpg 不是图片文件" in str(err.value)
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_history_cannot_be_rewritten(town):
    from wangge.core.models import AppendOnly

    case = report(town.units[0])
    event = case.events.get()
    event.comment = "改一下"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        CaseEvent.objects.filter(case=case).delete()


def test_duplicates_link_to_the_original_and_nearby_cases_are_suggested(town):
    cast = Cast(town)
    first = report(town.units[0], description="小区门口垃圾堆成山")
    second = report(town.units[0], description="门口垃圾没人清")
    lon, lat = inside(town.units[0])
    found = cases.nearby_open(lon, lat, first.category, "门口垃圾")
    assert {c.pk for c, _d in found} == {first.pk, second.pk}
    far = cases.nearby_open(lon + 0.01, lat, first.category, "门口垃圾")
    assert far == []
    cases.mark_duplicate(second, of=first, by=cast.worker)
    assert second.status == S.CLOSED and second.outcome == "duplicate" and cases.follow(second) == first


@pytest.mark.parametrize("scene,items", [("county-town", 51), ("urban-street", 17), ("rural-town", 25)])
def test_every_scene_carries_a_catalogue_whose_handlers_exist(scene, items, empty_database):
    from wangge.cases.models import Category
    from wangge.core.scenes import apply_scene
    from wangge.grids.models import GridLevel

    apply_scene(scene)
    leaves = Category.objects.filter(parent__isnull=False)
    assert leaves.count() == items
    levels = set(GridLevel.objects.values_list("key", flat=True))
    assert {c.handler_level for c in leaves if c.handler_level} <= levels
    assert all(set(c.deadlines) == {"accept", "dispatch", "handle", "verify"} for c in leaves)
    if scene == "county-town":  # one task list across twelve departments
        assert leaves.exclude(handler_department=None).values("handler_department").distinct().count() == 12
    if scene == "urban-street":
        assert set(leaves.values_list("kind", flat=True)) == {"component", "event"}


def test_a_five_must_go_case_cannot_be_reported_handled_until_someone_was_on_site(client, town):
    cast = Cast(town)
    case = report(town.units[0], "elderly_care", description="独居老人摔倒后行动不便")
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.centre)  # to the unit grid: the worker handles it
    with pytest.raises(ValidationError) as refused:
        cases.handle(case, by=cast.worker, comment="已联系家属")
    assert "五必到" in str(refused.value) and case.status == S.DISPATCHED
    client.force_login(cast.worker)
    page = client.get(reverse("cases:detail", args=[case.code])).content.decode()
    assert 'id="site-visit"' in page
    client.post(reverse("cases:act", args=[case.code, "site_visit"]), {"comment": "已到老人家中查看"})
    assert case.events.filter(action="site_visit", actor=cast.worker).exists()
    cases.handle(case, by=cast.worker, comment="已联系家属，安排每日探望")
    assert case.status == S.HANDLED
