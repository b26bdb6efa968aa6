"""Who may search an area, work an operation's checklist, and start, notify and close an operation."""

from wangge.core.permissions import grant

SEARCH_AREA = "command.search_area"
WORK_OPERATION = "command.work_operation"  # see operations in one's grids and update their checklist
MANAGE_OPERATION = "command.manage_operation"  # start, send notices, set shelters, close
VIEW_SCREEN = "command.view_screen"  # 一屏管全城: the screen over one's area
VIEW_ASSESSMENT = "command.view_assessment"  # 考核: the outcomes of the grids in one's area (one's own)
VIEW_REPORTS = "command.view_reports"  # 日报告/周研判/月分析 of one's area, and the review meetings
MANAGE_REPORTS = "command.manage_reports"  # generate a report now, record a meeting and its decisions

_ON_THE_GROUND = ["micro_grid_leader", "grid_worker", "grid_leader", "community_staff", "centre_staff"]


def register() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], SEARCH_AREA)
    grant([*_ON_THE_GROUND, "leader", "admin"], WORK_OPERATION)
    grant(["grid_leader", "community_staff", "centre_staff", "leader", "admin"], MANAGE_OPERATION)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW_SCREEN)
    grant([*_ON_THE_GROUND, "leader", "admin"], VIEW_ASSESSMENT)
    grant(["grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW_REPORTS)
    grant(["community_staff", "centre_staff", "leader", "admin"], MANAGE_REPORTS)
