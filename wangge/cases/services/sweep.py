"""The deadline sweep: yellow, red, escalation."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from wangge.cases.calendar import WorkTime
from wangge.cases.models import Case, CaseEvent
from wangge.cases.services.deadlines import _limit
from wangge.cases.services.states import STAGE_OF, A, S
from wangge.cases.services.steps import comment_fields
from wangge.cases.services.workflow import _top_of
from wangge.core import outbox
from wangge.core.models import MessageKind
from wangge.core.phrases import phrase
from wangge.grids import services as grids
from wangge.grids.models import Grid

log = logging.getLogger(__name__)


BATCH = 500


def more_due_than_a_batch(now: datetime | None = None) -> bool:
    """Whether one sweep's first batch leaves cases due (enough work to share among workers)."""
    return Case.objects.filter(next_check_at__lte=now or timezone.now())[BATCH : BATCH + 1].exists()


def sweep(now: datetime | None = None, *, batch: int = BATCH) -> dict:
    """Yellow, red and escalation for the cases whose time has come (next_check_at <= now): reads only
    those, through a partial index, so its cost follows the cases that change, not the open ones.
    Each batch is one transaction of three bulk statements (cases, events, notifications); rows another
    worker holds are skipped (PostgreSQL). Idempotent: a case handled here gets a later next_check_at."""
    now = now or timezone.now()
    counts = {"warned": 0, "escalated": 0}
    while True:
        # a plain indexed look first: most minutes nothing is due, and no write lock is taken for that
        if not Case.objects.filter(next_check_at__lte=now).exists():
            return counts
        with transaction.atomic():
            qs = Case.objects.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            due = list(qs.select_related("category", "grid", "handler_grid", "escalated_to")[:batch])
            if not due:
                return counts
            parents = _parents_of(due)
            events: list[CaseEvent] = []
            work = WorkTime.around(now)
            for case in due:
                if not case.is_open or case.status == S.SUSPENDED or case.stage_due_at is None:
                    case.next_check_at = None
                elif now < case.stage_due_at:
                    case.warning, case.next_check_at = True, case.stage_due_at
                    counts["warned"] += 1
                else:
                    events.append(_escalate(case, now, parents, work))
                    counts["escalated"] += 1
            Case.objects.bulk_update(
                due, ["next_check_at", "warning", "overdue", "escalation_level", "escalated_to", "supervised"]
            )
            CaseEvent.objects.bulk_create(events)
            outbox.queue([
                outbox.row(f"case:{e.case_id}:escalate:{e.case.escalation_level}", grid_id=e.to_grid_id,
                           kind=MessageKind.DEADLINE,
                           title=phrase("超时事件升级：%(c)s", c=e.case.code),
                           body=e.case.description[:200],
                           link=e.case.get_absolute_url())
                for e in events if e.to_grid_id
            ])  # fmt: skip


def _parents_of(due: list[Case]) -> dict[str, Grid]:
    """The grids one level up from where each case stands, in one query, by path."""
    paths = set()
    for case in due:
        current = case.escalated_to or case.handler_grid or case.grid
        if current is not None and current.depth > 1:
            paths.add(grids.parent_path(current))
        if case.grid is not None:
            paths.add(grids.root_path(case.grid))
    return {g.path: g for g in Grid.objects.filter(path__in=paths)}


def _escalate(case: Case, now: datetime, parents: dict[str, Grid], work: WorkTime) -> CaseEvent:
    """One level up the chain (grid → community → street → the leader's view); returns its event."""
    current = case.escalated_to or case.handler_grid or case.grid
    if case.handler_department_id and case.escalated_to is None:
        target = parents.get(grids.root_path(case.grid)) if case.grid else _top_of(case)
    elif current is not None and current.depth > 1:
        target = parents.get(grids.parent_path(current))
    else:
        target = None  # already at the top: the leader's supervision list
    case.overdue, case.warning = True, True
    case.escalation_level += 1
    if target is not None:
        case.escalated_to = target
    else:
        case.supervised = True
    # look again after another stage-length of working time: each further lapse goes one more level up
    case.next_check_at = work.add(now, _limit(case, STAGE_OF.get(case.status, "handle")))
    return CaseEvent(
        case=case, action=A.OVERDUE, actor_name=CaseEvent.SYSTEM, from_status=case.status,
        to_status=case.status, to_grid=target, late=True, at=now,
        **comment_fields(phrase("超过本环节时限，升级至 %(unit)s",
                                unit=target.name if target else phrase("领导督办"))),
    )  # fmt: skip
