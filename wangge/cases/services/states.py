"""The case states every verb speaks of."""

from __future__ import annotations

from wangge.cases.models import OPEN_STATUSES, Case, CaseEvent

S = Case.Status


A = CaseEvent.Action


# reported, accepted, dispatched, handled, suspended: the list the generated column Case.still_open is made of
OPEN = [S(status) for status in OPEN_STATUSES]


STAGE_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLED: "verify",
}
