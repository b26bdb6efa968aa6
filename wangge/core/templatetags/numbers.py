from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.8581 -> 85.81%"""
    try:
        return f"{float(value) * 100:.2f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def points(value) -> str:
    """A 0–1 score on the 100-point scale it is published on: 0.9253 -> 92.53 (none: "—")."""
    try:
        return f"{float(value) * 100:.2f}"
    except (TypeError, ValueError):
        return "—"
