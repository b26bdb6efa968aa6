import pytest

from wangge.command.tests.places import middle, resident
from wangge.registry import services as registry


@pytest.fixture
def scene(town):
    """In unit 0: an old man living alone and a bedridden woman (at their houses), a family on subsistence
    allowance (not vulnerable), an old woman whose house has no point, a D-graded dangerous house and an
    A-graded one; in unit 7, far away, a disabled man."""
    unit, far = town.units[0], town.units[7]
    lon, lat = middle(unit)
    s = {"unit": unit, "far": far, "lon": lon, "lat": lat}
    s["alone"], _h = resident(unit, "王老伯", "elderly_alone", point=(lon, lat))
    s["bedridden"], _h = resident(unit, "李阿婆", "bedridden", point=(lon + 0.001, lat))
    s["poor"], _h = resident(unit, "赵家", "low_income", point=(lon, lat + 0.001))
    s["unplaced"], _h = resident(unit, "陈奶奶", "elderly_alone")
    s["far_person"], _h = resident(far, "周师傅", "disabled", point=middle(far))
    _p, s["danger"] = resident(unit, "危房户", None, point=(lon - 0.001, lat))
    registry.mark_hazard(s["danger"], kind="dangerous_building", grade="D")
    _p, safe = resident(unit, "旧房户", None, point=(lon, lat - 0.001))
    registry.mark_hazard(safe, kind="dangerous_building", grade="A")
    return s
