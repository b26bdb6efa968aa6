"""Refusals with a stable code: API clients and tests branch on the code, people read the words.

Codes name what is wrong, not where (the field says where):
  required       something needed is missing
  unknown        not one of the known keys (a category, a role, a kind)
  invalid        not in the expected form (a date, a phone number, a file)
  out_of_range   a number or a day outside what is allowed
  taken          already used by another record (a code, a user name, an ID number)
  closed         the record is closed, ended or no longer valid
  wrong_state    not possible in the record's present state
  not_found      nothing of that name or number (within the user's jurisdiction)
  outside        outside the user's jurisdiction or outside every grid
  too_many       more than allowed (photos, pieces)
  expired        a reference that has run out
  not_allowed    never allowed (changing a protected field, disabling oneself)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

CODES = frozenset(
    {
        "required",
        "unknown",
        "invalid",
        "out_of_range",
        "taken",
        "closed",
        "wrong_state",
        "not_found",
        "outside",
        "too_many",
        "expired",
        "not_allowed",
    }
)


def invalid(field: str, message, code: str) -> ValidationError:
    """A refusal of one field."""
    return ValidationError({field: error(message, code)})


def error(message, code: str) -> ValidationError:
    """One message with its code, for a dict of refusals built up field by field."""
    if code not in CODES:
        raise ValueError(f"unknown error code {code!r}")  # a typo here would reach every client
    return ValidationError(message, code=code)


def flat(exc: ValidationError) -> list[ValidationError]:
    """Every message of a refusal with its code, to nest it under another field."""
    if hasattr(exc, "error_dict"):
        return [e for errors in exc.error_dict.values() for e in errors]
    return list(exc.error_list)


def codes_of(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [code, ...]} of a refusal ("invalid" where a message came without one)."""
    if hasattr(exc, "error_dict"):
        return {f: [e.code or "invalid" for e in errs] for f, errs in exc.error_dict.items()}
    return {"__all__": [e.code or "invalid" for e in exc.error_list]}
