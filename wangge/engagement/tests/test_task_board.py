"""双报到 and the 百企公益 board: a community publishes 关键小事; anyone reads the board without logging in; a
unit's contact or a party member of the community claims (once, first come) and reports completion with a
photo; the unit's page shows its own work and its members'; a stranger cannot claim or complete, and the
staff pages keep to the jurisdiction."""

import pytest
from django.urls import reverse

from testkit import UserFactory, staff
from wangge.cases.tests.helpers import photo
from wangge.core.excel import read_rows
from wangge.engagement import services
from wangge.engagement.models import Task
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(town):
    village = town.seconds[0]
    staffer = staff("community_staff", scope=village)
    contact = UserFactory(role="resident", phone="13955550001")
    bank = services.register_partner("县农商银行", kind="enterprise", grids_served=[village])
    bank.contacts.add(contact)
    _h, (member_person, _x) = household_with_people(town.units[0], names=("蒋党员", "蒋家属"))
    services.register_party_member(member_person, grid=village, partner=bank)
    member = UserFactory(role="resident", phone=member_person.phone)
    lights = services.publish_task(village, kind="homes", title="修好3号楼道灯", needs="灯泡6只", by=staffer)
    rails = services.publish_task(village, kind="care", title="为独居老人装扶手", by=staffer)
    return {
        "staffer": staffer,
        "contact": contact,
        "bank": bank,
        "member": member,
        "lights": lights,
        "rails": rails,
    }


def test_claim_once_complete_with_a_photo_and_the_board_shows_it_without_login(client, board):
    lights, rails = board["lights"], board["rails"]
    page = client.get(reverse("board:list")).content.decode()  # anonymous
    assert "修好3号楼道灯" in page and "为独居老人装扶手" in page and "登录" in client.get(
        reverse("board:task", args=[lights.pk])).content.decode()  # fmt: skip
    assert client.post(reverse("board:claim", args=[lights.pk]), {"claimer": "member"}).status_code == 302
    assert Task.objects.get(pk=lights.pk).status == "open"  # the login page, nothing claimed
    client.force_login(board["contact"])
    client.post(reverse("board:claim", args=[lights.pk]), {"claimer": f"partner:{board['bank'].pk}"})
    client.force_login(board["member"])
    late = client.post(reverse("board:claim", args=[lights.pk]), {"claimer": "member"}, follow=True)
    assert "该事项已被认领或已撤回" in late.content.decode()
    client.post(reverse("board:claim", args=[rails.pk]), {"claimer": "member"})
    none = client.post(reverse("board:done", args=[rails.pk]), {"note": "已安装"}, follow=True)
    assert "请上传至少一张完成照片" in none.content.decode()
    client.post(reverse("board:done", args=[rails.pk]), {"note": "已安装扶手两处", "photos": [photo()]})
    client.force_login(board["contact"])
    client.post(reverse("board:done", args=[lights.pk]), {"note": "已换灯泡6只", "photos": [photo()]})
    client.logout()
    rails.refresh_from_db()
    assert rails.status == "done" and rails.photos.count() == 1
    shown = client.get(reverse("board:task", args=[rails.pk])).content.decode()
    assert "已安装扶手两处" in shown and "蒋党员" not in shown  # the public sees what, not who
    assert client.get(reverse("board:photo", args=[rails.photos.get().pk])).status_code == 200
    unit = client.get(reverse("board:partner", args=[board["bank"].pk])).content.decode()
    assert "修好3号楼道灯" in unit and "为独居老人装扶手" in unit  # its own work and its member's
    [homes] = [row for row in services.counts_by_kind(services.board()) if row[0] == "美丽家园同建"]
    assert homes[1:] == (1, 1, 1)
    client.force_login(board["staffer"])  # the community's register of party members, with what each did
    _head, rows = read_rows(client.get(reverse("engagement:partners"), {"format": "xlsx"}).content)
    assert [r[0] for r in rows] == ["蒋党员"] and rows[0][2] == "县农商银行" and rows[0][4] == 1


def test_a_stranger_cannot_claim_or_complete_and_staff_pages_keep_to_their_grids(client, town, board):
    stranger = UserFactory(role="resident", phone="13955550009")
    client.force_login(stranger)
    refused = client.post(reverse("board:claim", args=[board["lights"].pk]),
                          {"claimer": f"partner:{board['bank'].pk}"}, follow=True)  # fmt: skip
    assert "不能代表该单位认领" in refused.content.decode()
    client.force_login(board["contact"])
    client.post(reverse("board:claim", args=[board["lights"].pk]), {"claimer": f"partner:{board['bank'].pk}"})
    client.force_login(stranger)
    client.post(reverse("board:done", args=[board["lights"].pk]), {"note": "我做的", "photos": [photo()]})
    assert Task.objects.get(pk=board["lights"].pk).status == "claimed"
    other = staff("community_staff", scope=town.seconds[1])
    client.force_login(other)
    assert "修好3号楼道灯" not in client.get(reverse("engagement:tasks")).content.decode()
    assert "蒋党员" not in client.get(reverse("engagement:partners")).content.decode()
    assert client.post(reverse("engagement:task_withdraw", args=[board["rails"].pk])).status_code == 404
