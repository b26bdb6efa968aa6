"""The command module's verbs: the emergency area search (`area`) and the operations started from it
(`operations`)."""

from wangge.command.services.area import (  # noqa: F401
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    MOST_GRIDS,
    Area,
    Found,
    area_from,
    find_in_area,
)
from wangge.command.services.meetings import (  # noqa: F401
    add_decision,
    case_state,
    decisions_for,
    finish_decision,
    get_report_or_404,
    record_meeting,
    reports_for,
)
from wangge.command.services.operations import (  # noqa: F401
    Board,
    Line,
    add_shelter,
    board,
    checklist,
    checklist_checks,
    checks_for,
    close_operation,
    get_operation_or_404,
    houses_for,
    lines,
    operations_for,
    record_check,
    send_notice,
    shelters_for,
    start_operation,
)
