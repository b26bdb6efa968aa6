"""The registry's permissions and which roles hold them (added to the platform's role table)."""

from wangge.core.permissions import grant

VIEW_ARCHIVE = "registry.view_person"
EDIT_ARCHIVE = "registry.change_person"
UNMASK = "registry.unmask_pii"
VIEW_SENSITIVE_GROUPS = "registry.view_sensitive_group"
EXPORT_UNMASKED = "registry.export_unmasked"
ADD_GROUPS = "registry.add_specialgroup"  # a new special group in the scene (from a ledger's tag)
VIEW_SUPERVISED = "registry.view_supervised"  # a department's staff: the members of the groups it supervises


def register() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW_ARCHIVE)
    grant(["micro_grid_leader"], VIEW_ARCHIVE)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], EDIT_ARCHIVE, UNMASK)
    grant(["grid_leader", "community_staff", "centre_staff", "admin"], VIEW_SENSITIVE_GROUPS)
    grant(["centre_staff", "admin"], EXPORT_UNMASKED, ADD_GROUPS)
    grant(["department_staff"], VIEW_SUPERVISED)
