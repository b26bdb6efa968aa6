import pytest

from wangge.accounts.models import User
from wangge.core import demo
from wangge.grids import services as grids
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db


def test_demo_town_has_aoyangs_size_and_its_grids_tile_their_parents():
    logins = demo.load()
    assert [Grid.objects.filter(depth=d).count() for d in (1, 2, 3, 4)] == [1, 11, 42, 170]
    town = Grid.objects.get(depth=1)
    assert town.households == 16970
    assert sum(Grid.objects.filter(depth=4).values_list("households", flat=True)) == 16970
    for parent in Grid.objects.filter(depth__lt=4):
        cov = grids.coverage(parent)
        assert cov.covered_share > 0.9999, parent.name
        assert cov.overlap_area_m2 < 1.0, parent.name  # square metres, from rounding coordinates to 1 cm
    assert {login.username for login in logins} == set(User.objects.values_list("username", flat=True))
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)
