from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.grids import coords

# Published reference pairs (the open coordTransform implementations): WGS-84 → GCJ-02 and GCJ-02 → BD-09.
KNOWN_WGS_TO_GCJ = [((116.404, 39.915), (116.41024449916938, 39.91640428150164))]
KNOWN_GCJ_TO_BD = [((116.404, 39.915), (116.41036949371029, 39.92133699351021))]


def test_forward_transforms_match_published_pairs():
    for (lon, lat), expected in KNOWN_WGS_TO_GCJ:
        got = coords.wgs84_to_gcj02(lon, lat)
        assert abs(got[0] - expected[0]) < 1e-9 and abs(got[1] - expected[1]) < 1e-9
    for (lon, lat), expected in KNOWN_GCJ_TO_BD:
        got = coords.gcj02_to_bd09(lon, lat)
        assert abs(got[0] - expected[0]) < 1e-9 and abs(got[1] - expected[1]) < 1e-9


def test_inverse_of_a_published_pair_gives_the_original_point():
    (lon, lat), (glon, glat) = KNOWN_WGS_TO_GCJ[0]
    back = coords.gcj02_to_wgs84(glon, glat)
    assert coords.distance_m(lon, lat, *back) < 0.01


def test_points_outside_china_are_not_shifted():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


china = st.tuples(st.floats(min_value=73.7, max_value=134.7), st.floats(min_value=18.2, max_value=53.5))


@settings(max_examples=300, deadline=None)
@given(china)
def test_gcj02_round_trip_within_one_metre(point):
    lon, lat = point
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert coords.distance_m(lon, lat, *back) < 1.0


@settings(max_examples=300, deadline=None)
@given(china)
def test_bd09_round_trip_within_one_metre(point):
    lon, lat = point
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert coords.distance_m(lon, lat, *back) < 1.0
