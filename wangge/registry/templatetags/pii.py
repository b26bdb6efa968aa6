from django import template

from wangge.registry import validators

register = template.Library()


@register.filter
def mask_id(value):
    return validators.mask_id(value)


@register.filter
def mask_phone(value):
    return validators.mask_phone(value)


@register.filter
def mask_address(value):
    return validators.mask_address(value)
