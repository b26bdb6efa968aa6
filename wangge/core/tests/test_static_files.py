"""Of a front-end package's build folder only the files the pages use are served and collected."""

from django.contrib.staticfiles import finders


def test_only_the_named_build_of_echarts_is_served():
    assert finders.find("vendor/echarts/echarts.min.js")
    assert not finders.find("vendor/echarts/echarts.js")  # the folder's 49 MB of other builds
    collected = {path for finder in finders.get_finders() for path, _storage in finder.list([])}
    assert "echarts.min.js" in collected and "echarts.js" not in collected
    assert finders.find("vendor/leaflet/leaflet.js") and finders.find("vendor/htmx/htmx.min.js")
