"""What each role may do with cases; where is decided by jurisdiction (and, for departments, dispatch)."""

from wangge.core.permissions import grant

VIEW = "cases.view_case"
ACCEPT = "cases.accept_case"  # 受理/立案, reject, dispatch, mark duplicates
HANDLE = "cases.handle_case"  # notes, done, return, ask for more time, suspend, cannot solve
VERIFY = "cases.verify_case"  # 核查
SUPERVISE = "cases.supervise_case"  # 督办, decide extensions
RETURN_CALL = "cases.return_call"  # 电话回访: call the reporter of a closed case (their phone shown, audited)
IMPORT_HOTLINE = "cases.import_hotline"
VIEW_FIGURES = "cases.view_figures"
MANAGE_CALENDAR = "cases.manage_calendar"  # the working-day calendar (holidays, make-up workdays)

GRID_STAFF = ["grid_worker", "grid_leader", "community_staff", "centre_staff"]


def register() -> None:
    grant([*GRID_STAFF, "micro_grid_leader", "department_staff", "leader", "admin"], VIEW)
    grant([*GRID_STAFF, "admin"], ACCEPT, VERIFY)
    grant([*GRID_STAFF, "department_staff", "admin"], HANDLE)
    grant(["centre_staff", "community_staff", "leader", "admin"], SUPERVISE)
    grant(["centre_staff", "community_staff", "admin"], RETURN_CALL)
    grant(["centre_staff", "admin"], IMPORT_HOTLINE)
    grant(["admin"], MANAGE_CALENDAR)
    grant(
        ["grid_leader", "community_staff", "centre_staff", "department_staff", "leader", "admin"],
        VIEW_FIGURES,
    )
