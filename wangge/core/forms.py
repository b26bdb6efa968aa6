from django import forms
from django.core.exceptions import ValidationError

from wangge.core.errors import CODES, error


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field-keyed errors on the form's fields (unknown keys go to the top)."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for m in messages:
                form.add_error(target, m if target else f"{field}：{m}" if field != "__all__" else m)
    else:
        for m in exc.messages:
            form.add_error(None, m)


class YesNoField(forms.TypedChoiceField):
    """A choice a page sends as 1 or 0 (a select or two radio buttons); missing is no. (A checkbox's
    BooleanField would read "0" as yes.)"""

    def __init__(self, *, yes="1", no="0", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(
            choices=[("1", yes), ("0", no)], coerce=lambda v: v == "1", empty_value=False,  # type: ignore[arg-type]
            **kwargs,
        )  # fmt: skip


class ListField(forms.Field):
    """Every value a form sent under one name (checkboxes, repeated inputs), stripped, blanks dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v).strip() for v in values if str(v).strip()]


class IdListField(ListField):
    """Record ids (a list of numbers); anything else is dropped, as a tampered form's noise."""

    def to_python(self, value) -> list[int]:  # type: ignore[override]
        return [int(v) for v in super().to_python(value) if v.isdigit()]


# Django's form codes, as the platform names them (core/errors.py)
_CODES = {"invalid_choice": "unknown", "required": "required", "max_length": "out_of_range"}


def tell(request, exc: ValidationError, form: forms.Form | None = None) -> None:
    """A refusal said on the next page (after a redirect), one message per field, named by the form's
    label where there is one ("内容：这个字段是必须的")."""
    from django.contrib import messages

    found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, field_errors in found.items():
        text = "；".join(str(m) for m in field_errors)
        label = form.fields[field].label if form is not None and field in form.fields else None
        messages.error(request, f"{label}：{text}" if label else text)


def refusal(form: forms.Form) -> ValidationError:
    """A form's errors as a service would refuse them: field-keyed, each message with its code."""
    return ValidationError(
        {
            field: [error(message, _CODES.get(e.code or "", e.code if e.code in CODES else "invalid"))
                    for e in errors for message in e]
            for field, errors in form.errors.as_data().items()
        }
    )  # fmt: skip
