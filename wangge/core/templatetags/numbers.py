from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.8581 -> 85.81%"""
    try:
        return f"{float(value) * 100:.2f}%"
    except (TypeError, ValueError):
        return ""
