"""The case states every verb speaks of."""

from __future__ import annotations

from wangge.cases.models import Case, CaseEvent

S = Case.Status


A = CaseEvent.Action


OPEN = [S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLED, S.SUSPENDED]


STAGE_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLED: "verify",
}
