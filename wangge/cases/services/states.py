"""The case states every verb speaks of."""

from __future__ import annotations

from django.db.models import Q

from wangge.cases.models import OPEN_STATUSES, Case, CaseEvent

S = Case.Status


A = CaseEvent.Action


# reported, accepted, dispatched, handled, suspended: the list the generated column Case.still_open is made of
OPEN = [S(status) for status in OPEN_STATUSES]

# The open cases, for a query to find fast among a million closed ones: by the status where a grid leads
# the query (the index on grid and status), by `still_open` where nothing does (its partial index; SQLite
# cannot match `status IN (?, …)` to one). With only the one, the other kind of query scanned (measured).
OPEN_NOW = Q(status__in=OPEN, still_open=True)


STAGE_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLED: "verify",
}
