"""Written addresses placed on the standard address base part by part, and never on a guess."""

import pytest

from wangge.registry import services as registry
from wangge.registry.addresses import AddressBook, canonical

pytestmark = pytest.mark.django_db


def test_the_forms_of_one_address_read_the_same():
    book = AddressBook([])
    one = book.parse("胜利街15号3栋2单元502室")
    assert one is not None and (one.road, one.number, one.building, one.unit, one.room) == (
        "胜利街", "15", "3", "2", "502",
    )  # fmt: skip
    for form in ("胜利街１５号３幢２单元５０２室", "胜利街15号3-2-502", "胜利街十五号三号楼二单元五零二",
                 "胜利街 15 号 3 座 2 单元 502"):  # fmt: skip
        assert book.parse(form) == one, form
    village = book.parse("北门村新村路5号")
    assert village is not None and (village.place, village.road, village.number) == ("北门村", "新村路", "5")
    assert canonical("一百零五号") == "105号" and book.parse("城外某处山脚下") is None


@pytest.fixture
def base(town):
    """胜利街3号 three times, as a county has it: in two villages and in town; a flat block at 胜利街15号."""
    first, second = town.units[0], town.units[4]
    registry.create_house(grid=first, address="第1村胜利街3号", lon=1.0, lat=1.0)
    registry.create_house(grid=second, address="第2村胜利街3号", lon=2.0, lat=2.0)
    registry.create_house(grid=town.units[2], address="胜利街3号1栋1单元101室", lon=3.0, lat=3.0)
    registry.create_house(grid=town.units[6], address="胜利街15号3栋2单元502室", lon=4.0, lat=4.0)
    return registry.address_book()


@pytest.mark.parametrize(
    ("written", "placed_at"),
    [
        ("第1村胜利街3号", "第1村胜利街3号"),
        ("福建省宁德市寿宁县测试镇第2村胜利街３号", "第2村胜利街3号"),  # the site's own area taken off
        ("宁德寿宁测试镇第2村胜利街3号门口", "第2村胜利街3号"),
        ("第2材胜力街3号", "第2村胜利街3号"),  # one wrong character in the village and in the road
        ("胜利街15号3-2-502", "胜利街15号3栋2单元502室"),
        ("胜利街15号", "胜利街15号3栋2单元502室"),  # the gate alone: one estate, one grid
    ],
)
def test_an_address_that_names_one_place_is_placed_there(base, written, placed_at):
    found = base.match(written)
    assert found.entry is not None and found.entry.address == placed_at, found.reason


@pytest.mark.parametrize(
    ("written", "why"),
    [
        # the wrong placement: three places of that name, none chosen
        ("胜利街3号", "胜利街3号有 3 处（第1村、第2村"),
        ("测试镇胜利街", "缺少门牌号"),
        ("城外某处山脚下", "地址中没有道路和门牌号"),
        ("胜利街99号", "地址库中没有胜利街99号"),
        ("福州市鼓楼区胜利街15号", "胜利街15号不在“福州市鼓楼区”"),  # not the site's own area
        ("第3村胜利街3号", "胜利街3号不在“第3村”"),
    ],
)
def test_an_address_that_does_not_name_one_place_waits_for_a_person_with_the_reason(base, written, why):
    found = base.match(written)
    assert found.entry is None and found.reason.startswith(why), found.reason
