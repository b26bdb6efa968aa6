import pytest

from wangge.accounts.models import Department
from wangge.core.scenes import SceneError, apply_scene, available_scenes, read_scene, validate_scene
from wangge.grids.models import GridKind, GridLevel, GridRole

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name,levels",
    [
        ("urban-street", ["街道", "社区", "小区/片区", "楼栋", "单元", "微网格"]),
        ("county-town", ["县城", "大网格", "小网格", "微网格"]),
        ("rural-town", ["镇", "二级网格", "三级网格", "四级网格"]),
    ],
)
def test_each_preset_applies_to_an_empty_database(name, levels, empty_database):
    apply_scene(name)
    assert list(GridLevel.objects.values_list("name", flat=True)) == levels
    assert GridKind.objects.exists() and GridRole.objects.exists()
    assert Department.objects.exclude(key="property_company").count() == 12  # and the property company


def test_the_three_presets_are_shipped():
    assert {"urban-street", "county-town", "rural-town"} <= set(available_scenes())


def test_reapplying_a_scene_updates_in_place():
    apply_scene("rural-town")
    apply_scene("rural-town")
    assert GridLevel.objects.count() == 4


def test_bad_scene_reports_every_problem_with_its_place(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "grids:\n"
        "  levels:\n"
        "    - {key: town, name: 镇, code_digits: 9}\n"
        "    - {key: Town, name: '', code_digits: 0}\n"
        "  roles:\n"
        "    - {key: worker, name: 网格员, levels: [nowhere]}\n"
        "  colour: red\n"
        "caseload: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(SceneError) as exc:
        validate_scene(read_scene(str(bad)))
    text = "\n".join(exc.value.messages)
    assert "caseload：未知的场景段落" in text
    assert (
        "grids.levels.1.key" in text
        and "grids.levels.1.name" in text
        and "grids.levels.1.code_digits" in text
    )
    assert "grids.colour" in text


def test_unknown_scene_names_the_available_ones():
    with pytest.raises(SceneError) as exc:
        read_scene("atlantis")
    assert "rural-town" in exc.value.messages[0]


def test_scene_errors_are_in_chinese(tmp_path):
    bad = tmp_path / "bad2.yaml"
    bad.write_text("grids:\n  levels:\n    - {key: town, name: 镇}\n  extra: 1\n", encoding="utf-8")
    with pytest.raises(SceneError) as exc:
        validate_scene(read_scene(str(bad)))
    assert set(exc.value.messages) == {
        "grids.levels.0.code_digits：必填",
        "grids.extra：未知的键（拼写错误？）",
    }
