"""Base of every `wangge` subcommand: messages in the user's locale, errors as non-zero exits."""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation


def cli_language() -> str:
    for var in ("WANGGE_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh-hans"
    return "zh-hans"


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "\n".join(f"{field}：{'；'.join(msgs)}" for field, msgs in exc.message_dict.items())
    return "；".join(exc.messages)


class WanggeCommand(BaseCommand):
    def execute(self, *args, **options):
        with translation.override(cli_language()):
            try:
                return super().execute(*args, **options)
            except ValidationError as exc:
                raise CommandError(validation_text(exc)) from exc
