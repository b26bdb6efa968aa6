"""URLs built on hot paths: `link(name, arg)` is `reverse(name, args=[arg])` for a one-argument str or slug
route (a code, a token), from the URL around it worked out once per script prefix. Two reverse() calls
were a tenth of taking a report in (measured)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

_MARK = "0MARK0"  # matches the str and slug path converters


@lru_cache(maxsize=64)
def _around(name: str, script_prefix: str) -> tuple[str, str]:

    head, _mark, tail = reverse(name, args=[_MARK]).partition(_MARK)
    return head, tail


def link(name: str, arg: str) -> str:

    head, tail = _around(name, get_script_prefix())
    return f"{head}{quote(arg, safe='')}{tail}"  # codes and tokens come back as they are
