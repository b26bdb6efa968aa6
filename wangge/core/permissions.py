"""What each role may do. Permissions are named `app.verb_noun`; jurisdiction decides *where*.

The platform's own permissions are named here; modules add theirs with `grant`."""

from django.core.exceptions import PermissionDenied

VIEW_GRIDS = "grids.view_grid"
EDIT_GRIDS = "grids.change_grid"
IMPORT_GRIDS = "grids.import_grid"
ASSIGN_ROLES = "grids.assign_role"
VIEW_AUDIT = "audit.view_auditrecord"
MANAGE_USERS = "accounts.manage_users"
MANAGE_OUTBOX = "core.manage_outbox"  # the health page: messages that failed to leave, and their retry

_STAFF = {VIEW_GRIDS}
_EDITORS = _STAFF | {EDIT_GRIDS, ASSIGN_ROLES}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "resident": set(),
    "micro_grid_leader": {VIEW_GRIDS},
    "grid_worker": {VIEW_GRIDS},
    "grid_leader": {VIEW_GRIDS, ASSIGN_ROLES},
    "community_staff": _EDITORS,
    "centre_staff": _EDITORS | {IMPORT_GRIDS},
    "department_staff": {VIEW_GRIDS},
    "leader": {VIEW_GRIDS},
    "admin": _EDITORS | {IMPORT_GRIDS, VIEW_AUDIT, MANAGE_USERS, MANAGE_OUTBOX},
}


def grant(roles: list[str], *perms: str) -> None:
    """Modules add their permissions to roles here (from their AppConfig.ready)."""
    for role in roles:
        ROLE_PERMISSIONS.setdefault(role, set()).update(perms)


def permissions_for(role: str) -> set[str]:
    return set(ROLE_PERMISSIONS.get(role, set()))


def require(user, perm: str) -> None:
    """Refuse an action the user's role does not allow (jurisdiction is checked separately, as 404)."""
    if not user.has_perm(perm):
        raise PermissionDenied(perm)
