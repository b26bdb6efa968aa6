"""Links built on hot paths are the URLs reverse() gives."""

import pytest
from django.urls import reverse, set_script_prefix

from wangge.core import links


@pytest.mark.parametrize("arg", ["261124KX5WBHY9", "goV5fsmBt7LF0O5V", "a-b_c", "有 空格"])
def test_a_link_is_the_url_reverse_gives(arg):
    assert links.link("report:follow", arg) == reverse("report:follow", args=[arg])


def test_a_link_follows_the_script_prefix():
    try:
        set_script_prefix("/wangge/")
        assert links.link("cases:detail", "X1") == reverse("cases:detail", args=["X1"])
        assert links.link("cases:detail", "X1").startswith("/wangge/")
    finally:
        set_script_prefix("/")
