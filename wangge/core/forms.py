from django import forms
from django.core.exceptions import ValidationError


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


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's errors as the pages' templates read them: {field: [messages]}."""
    return {field: list(messages) for field, messages in form.errors.items()}
