"""The anonymous doors: the report page's "already reported?" hint shows what a passer-by sees anyway and
never a token, code, words or link; private categories never appear; following a case from the hint
reveals nothing; Open311's media_url carries no token; the doors are rate-limited per address."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from wangge.cases import services as cases
from wangge.cases.models import Case, CaseFollower, Category
from wangge.cases.tests.helpers import Cast, inside, photo, report
from wangge.core import outbox
from wangge.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_nearby_hint_shows_the_kind_status_and_about_where_never_a_way_in(client, town):
    unit = town.units[0]
    lon, lat = inside(unit)
    public = report(unit, "garbage_dumping", description="张三家门口堆了垃圾", photos=[photo()])
    private = Category.objects.filter(visit_required=True, parent__isnull=False).first()
    answers = {a["key"]: a.get("choices", ["x"])[0] for a in private.attributes}
    hidden = report(unit, private.key, description="独居老人几天没出门", attributes=answers)
    hint = client.get(reverse("report:nearby"), {"lon": lon, "lat": lat}).content.decode()
    assert public.category.name in hint and "约 50 米" in hint and "待受理" in hint
    for secret in (public.token, public.code, "张三", hidden.token, hidden.code, "独居老人", private.name):
        assert secret not in hint
    assert "/report/case/" not in hint and "href" not in hint
    only_private = client.get(reverse("report:nearby"), {"lon": lon, "lat": lat, "category": private.key})
    text = only_private.content.decode()
    assert "独居老人" not in text and private.name not in text


def test_following_from_the_hint_subscribes_the_phone_and_reveals_nothing(client, town):
    cast, unit = Cast(town), town.units[0]
    lon, lat = inside(unit)
    case = report(unit, "garbage_dumping", description="张三家门口堆了垃圾")
    [hint] = cases.nearby_hints(lon, lat, None)
    done = client.post(reverse("report:follow_nearby"), {"ref": hint.ref, "reporter_phone": "13900001234",
                                                         "description": "我也看到了"})  # fmt: skip
    page = done.content.decode()
    assert done.status_code == 200 and "已关注" in page
    assert case.code not in page and case.token not in page and "张三" not in page
    assert CaseFollower.objects.get().case == case and Case.objects.count() == 1  # no second report
    again = client.post(reverse("report:follow_nearby"), {"ref": hint.ref, "reporter_phone": "13900001234"})
    assert again.status_code == 200 and CaseFollower.objects.count() == 1
    cases.accept(case, by=cast.worker)
    cases.reject(Case.objects.get(pk=case.pk), by=cast.worker, reason=next(iter(cases.REJECT_REASONS)),
                 comment="已由物业清理")  # fmt: skip
    told = OutboxMessage.objects.filter(key__contains=":follower:").get()
    assert told.channel == "sms" and told.link == "" and case.code not in told.body + told.title
    assert outbox.deliver() >= 1
    url = reverse("report:follow_nearby")
    forged = client.post(url, {"ref": str(case.pk), "reporter_phone": "13900001234"})
    assert forged.status_code == 400 and "过期" in forged.content.decode()
    no_phone = client.post(reverse("report:follow_nearby"), {"ref": hint.ref, "reporter_phone": ""})
    assert no_phone.status_code == 400


def test_open311_media_url_names_the_photo_alone_and_only_while_public(client, town):
    case = report(town.units[0], "garbage_dumping", photos=[photo()])
    [item] = client.get(f"/open311/v2/requests/{case.code}.json").json()
    media = item["media_url"]
    assert media and case.token not in media
    assert client.get(media).status_code == 200 and client.get(media)["Content-Type"] == "image/jpeg"
    assert client.get(media.replace(".jpg", "x.jpg")).status_code == 404
    Category.objects.filter(pk=case.category_id).update(visit_required=True)  # now a private category
    assert client.get(media).status_code == 404


# per day: a count window of a minute may end between two requests of a slow run (it did once on PostgreSQL)
@override_settings(RATE_REPORT="3/d", RATE_NEARBY="2/d", RATE_LOGIN="2/d", RATE_OPEN311="1/d")
def test_the_anonymous_doors_are_rate_limited_per_address_in_chinese(client, town):
    lon, lat = inside(town.units[0])
    form = {"category": "garbage_dumping", "description": "垃圾", "lon": lon, "lat": lat}
    answers = [client.post(reverse("report:start"), {**form, "client_id": n}).status_code for n in "abcd"]
    assert answers == [302, 302, 302, 429]
    limited = client.post(reverse("report:start"), form)
    assert "请求太频繁" in limited.content.decode()
    assert client.get(reverse("report:start")).status_code == 200  # reading the form is not limited
    other = client.post(reverse("report:start"), {**form, "client_id": "x"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302  # another address has its own count
    hints = [client.get(reverse("report:nearby"), {"lon": lon, "lat": lat}).status_code for _ in range(3)]
    assert hints == [200, 200, 429]
    logins = [client.post(reverse("accounts:login"), {"username": "x", "password": "y"}).status_code
              for _ in range(3)]  # fmt: skip
    assert logins[-1] == 429
    post = {"service_code": "garbage_dumping", "description": "垃圾", "lat": lat, "long": lon}
    client.post("/open311/v2/requests.json", post)
    second = client.post("/open311/v2/requests.json", post)
    assert second.status_code == 429 and second.json()[0]["code"] == 429


@override_settings(REPORT_CAPTCHA=True)
def test_a_site_may_ask_anonymous_reporters_for_a_captcha(client, town):
    import re

    from captcha.models import CaptchaStore

    lon, lat = inside(town.units[0])
    form = {"category": "garbage_dumping", "description": "垃圾", "lon": lon, "lat": lat, "client_id": "c1"}
    page = client.get(reverse("report:start")).content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page).group(1)
    wrong = client.post(reverse("report:start"), {**form, "captcha_0": key, "captcha_1": "-1"})
    assert wrong.status_code == 400 and "请按图片算出结果后填写" in wrong.content.decode()
    assert Case.objects.count() == 0
    page = client.get(reverse("report:start")).content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    done = client.post(reverse("report:start"), {**form, "captcha_0": key, "captcha_1": answer})
    assert done.status_code == 302 and Case.objects.count() == 1
