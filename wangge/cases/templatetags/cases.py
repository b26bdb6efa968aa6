import base64

from django import template

from wangge.core.templatetags.numbers import percent

register = template.Library()


@register.filter
def b64(data: bytes) -> str:
    return base64.b64encode(data or b"").decode()


register.filter("percent", percent)
