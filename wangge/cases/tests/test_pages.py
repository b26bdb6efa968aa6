import pytest
from django.urls import reverse

from wangge.cases import services as cases
from wangge.cases.models import Case
from wangge.cases.tests.helpers import Cast, inside, photo, report
from wangge.core.excel import read_rows

pytestmark = pytest.mark.django_db


def test_a_resident_reports_from_the_phone_page_without_logging_in_and_follows_it(client, town):
    unit = town.units[0]
    page = client.get(reverse("report:start"), {"grid": unit.code})
    assert page.status_code == 200 and unit.name in page.content.decode()
    client_id = page.context["client_id"]
    lon, lat = inside(unit)
    form = {"category": "street_lamp", "description": "楼下路灯不亮", "lon": lon, "lat": lat, "crs": "wgs84",
            "reporter_phone": "13800004444", "client_id": client_id, "attribute[how_many]": "3"}  # fmt: skip
    done = client.post(reverse("report:start"), {**form, "photos": [photo()]})
    case = Case.objects.get(client_id=client_id)
    assert done.status_code == 302 and done["Location"] == reverse("report:follow", args=[case.token])
    again = client.post(reverse("report:start"), {**form, "photos": [photo()]})  # the phone retried
    assert again["Location"] == done["Location"] and Case.objects.count() == 1
    assert case.attributes == {"how_many": 3.0} and case.photos.count() == 1
    follow = client.get(done["Location"]).content.decode()
    assert case.code in follow and "待受理" in follow
    photo_url = reverse("report:photo", args=[case.token, case.photos.get().pk])
    assert client.get(photo_url)["Content-Type"] == "image/jpeg"


def test_the_phone_form_says_what_is_wrong_and_writes_nothing(client, town):
    bad = client.post(
        reverse("report:start"), {"category": "street_lamp", "description": "", "client_id": "x1"}
    )
    text = bad.content.decode()
    assert bad.status_code == 400 and "请描述问题" in text and "请在地图上标出位置，或填写地址" in text
    lon, lat = inside(town.units[0])
    fake = client.post(
        reverse("report:start"),
        {
            "category": "noise",
            "description": "吵",
            "lon": lon,
            "lat": lat,
            "photos": [photo("virus.jpg").__class__("virus.jpg", b"MZ\x90\x00")],
        },
    )
    assert fake.status_code == 400 and "virus.jpg 不是图片文件" in fake.content.decode()
    assert Case.objects.count() == 0


def test_the_reporter_rates_from_the_follow_page(client, town):
    cast = Cast(town)
    case = report(town.units[0])
    cases.accept(case, by=cast.worker)
    cases.dispatch(case, by=cast.worker)
    cases.handle(case, by=cast.worker, comment="已清理")
    cases.verify(case, by=cast.centre, passed=True)
    url = reverse("report:follow", args=[case.token])
    assert "请您评价办理结果" in client.get(url).content.decode()
    client.post(reverse("report:rate", args=[case.token]), {"rating": "satisfied"})
    case.refresh_from_db()
    assert case.rating == "satisfied" and "您的评价：满意" in client.get(url).content.decode()


def test_staff_work_the_case_through_its_page(client, town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", description="路灯")
    client.force_login(cast.worker)
    assert case.code in client.get(reverse("cases:queue")).content.decode()
    client.post(reverse("cases:act", args=[case.code, "accept"]))
    client.force_login(cast.centre)
    client.post(reverse("cases:bulk_dispatch"), {"codes": [case.code]})
    case.refresh_from_db()
    assert case.status == "dispatched" and case.handler_department.key == "housing"
    client.force_login(cast.housing)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "处置完成，提交核查" in page and "退回中心" in page
    r = client.post(reverse("cases:act", args=[case.code, "handle"]), {"comment": ""}, follow=True)
    assert "请填写处置结果" in r.content.decode()
    client.post(
        reverse("cases:act", args=[case.code, "handle"]), {"comment": "换了灯泡", "photos": [photo()]}
    )
    client.force_login(cast.worker)
    client.post(reverse("cases:act", args=[case.code, "verify_pass"]), {"comment": "亮了"})
    case.refresh_from_db()
    assert case.status == "closed" and case.events.count() == 5


def test_queue_search_and_excel_export(client, town):
    cast = Cast(town)
    report(town.units[0], description="垃圾桶满了")
    report(town.units[0], "noise", description="广场舞太吵")
    client.force_login(cast.centre)
    page = client.get(reverse("cases:queue"), {"tab": "reported", "q": "广场舞"}).content.decode()
    assert "广场舞太吵" in page and "垃圾桶满了" not in page
    xlsx = client.get(reverse("cases:queue"), {"tab": "all", "format": "xlsx"})
    header, rows = read_rows(xlsx.content)
    assert header[0] == "事件编号" and {r[5] for r in rows} == {"垃圾桶满了", "广场舞太吵"}


def test_a_worker_sees_only_their_grids_cases_and_a_department_only_what_was_dispatched_to_it(client, town):
    cast = Cast(town)
    mine = report(town.units[0], "street_lamp", description="我的网格的路灯")
    theirs = report(town.units[7], description="别的网格的垃圾")
    cases.accept(mine, by=cast.worker)
    cases.dispatch(mine, by=cast.centre)
    theirs_photo = cases.save_photo(theirs, photo())
    client.force_login(cast.worker)
    for url in (theirs.get_absolute_url(), reverse("cases:photo", args=[theirs_photo.pk]),
                reverse("cases:act", args=[theirs.code, "accept"])):  # fmt: skip
        r = client.post(url) if "/act/" in url else client.get(url)
        assert r.status_code == 404, url
    export = client.get(reverse("cases:queue"), {"tab": "all", "format": "xlsx"})
    assert [r[0] for r in read_rows(export.content)[1]] == [mine.code]
    client.force_login(cast.housing)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    client.force_login(cast.police)
    assert client.get(mine.get_absolute_url()).status_code == 404
    assert [c.code for c in cases.visible_cases(cast.police)] == []
    assert client.get(reverse("report:follow", args=["not-a-token"])).status_code == 404


def test_a_worker_reports_with_the_phone_and_solves_it_on_the_spot(client, town):
    cast = Cast(town)
    client.force_login(cast.worker)
    lon, lat = inside(town.units[0])
    form = {"category": "garbage_dumping", "description": "路边垃圾", "lon": lon, "lat": lat, "on_spot": "1"}
    r = client.post(
        reverse("cases:new"),
        {**form, "client_id": "w-1", "photos": [photo()], "after_photos": [photo("after.jpg", "green")]},
    )
    case = Case.objects.get(client_id="w-1")
    assert r.status_code == 302 and case.outcome == "on_spot" and case.photos.count() == 2


def test_the_message_centre_lists_and_marks_read(client, town):
    from wangge.core import outbox

    cast = Cast(town)
    report(town.units[0])
    outbox.deliver()
    client.force_login(cast.worker)
    page = client.get(reverse("messages")).content.decode()
    assert "新事件待处理" in page and "全部 1 条标为已读" in page
    client.post(reverse("messages"))
    assert "没有未读消息" in client.get(reverse("messages")).content.decode()
    assert "新事件待处理" in client.get(reverse("messages"), {"view": "all"}).content.decode()


def test_the_phone_page_speaks_english_when_asked(client, town):
    client.post(reverse("set_language"), {"language": "en", "next": "/report/"})
    page = client.get(reverse("report:start")).content.decode()
    assert "Report a problem" in page and "Street lamp out" in page and "Public facilities" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/report/"})
    assert "我要反映问题" in client.get(reverse("report:start")).content.decode()


def test_the_case_page_shows_questions_by_label_values_as_typed_and_who_rated(client, town):
    cast = Cast(town)
    case = report(town.units[0], "street_lamp", attributes={"how_many": "2"}, reporter_phone="13800004321",
                  reporter_name="张三丰")  # fmt: skip
    assert case.attributes["how_many"] == 2.0  # stored as a number
    cases.accept(case, by=cast.centre)
    cases.dispatch(case, by=cast.centre)
    cases.handle(case, by=cast.housing, comment="已修好")
    cases.verify(case, by=cast.centre, passed=True)
    cases.rate(case, rating="satisfied")
    client.force_login(cast.centre)
    page = client.get(case.get_absolute_url()).content.decode()
    label = next(q["label"] for q in case.category.attributes if q["code"] == "how_many")
    assert f"<dt>{label}</dt><dd>2</dd>" in page and "how_many" not in page and "2.0" not in page
    rated = case.events.get(action="rate")
    assert rated.actor_name == "张**"  # the reporter rated it, not 系统
