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
