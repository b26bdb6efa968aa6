"""Who records disputes, who files the monthly report, who watches the reports come in."""

from wangge.core.permissions import grant

VIEW = "mediation.view_dispute"
RECORD = "mediation.add_dispute"
FILE_REPORT = "mediation.file_report"
WATCH_REPORTS = "mediation.watch_reports"


def register() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], RECORD)
    grant(["community_staff", "centre_staff", "admin"], FILE_REPORT)
    grant(["centre_staff", "leader", "admin"], WATCH_REPORTS)
