"""Stage deadlines in working time, and the traffic light."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from wangge.cases.calendar import WorkTime
from wangge.cases.models import Case
from wangge.cases.services.states import STAGE_OF, S

log = logging.getLogger(__name__)


def _limit(case: Case, stage: str) -> str:
    return (case.category.deadlines or {}).get(stage) or {
        "accept": "4h",
        "dispatch": "4h",
        "handle": "5d",
        "verify": "2d",
    }[stage]


def _start_stage(case: Case, now: datetime, *, due: datetime | None = None) -> None:
    """Set the current stage's deadline and when the sweep must look at the case next."""
    stage = STAGE_OF.get(case.status)
    case.warning = case.overdue = False
    if stage is None:
        case.stage_due_at = case.next_check_at = None
        return
    work = WorkTime.around(now)
    case.stage_due_at = due or work.add(now, _limit(case, stage))
    total = work.minutes_between(now, case.stage_due_at)
    case.next_check_at = (
        work.add_minutes(now, total * (1 - settings.CASE_WARNING_SHARE)) if total else case.stage_due_at
    )


def light(case: Case, now: datetime | None = None) -> str:
    """green / yellow / red, as the lists show it."""
    if not case.is_open or case.status == S.SUSPENDED:
        return ""
    if case.overdue or (case.stage_due_at and (now or timezone.now()) > case.stage_due_at):
        return "red"
    return "yellow" if case.warning else "green"
