"""Who sees points, who grants them (a confirmation, never the earner), who runs a shop's counter."""

from wangge.core.permissions import grant

VIEW = "engagement.view_points"
GRANT = "engagement.grant_points"
RUN_SHOP = "engagement.run_shop"  # goods, stock and the counter of a points shop


def register() -> None:
    grant(["grid_worker", "grid_leader", "micro_grid_leader", "community_staff", "centre_staff", "leader",
           "admin"], VIEW)  # fmt: skip
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], GRANT)
    grant(["grid_leader", "community_staff", "centre_staff", "admin"], RUN_SHOP)


ORGANISE = "engagement.organise_volunteers"  # teams, activities, confirming hours


def register_volunteers() -> None:
    grant(["grid_leader", "community_staff", "centre_staff", "admin"], ORGANISE)


PUBLISH_NOTICES = "engagement.publish_notices"
KEEP_KEYS = "engagement.keep_keys"  # the spare-key register: who sees it, who hands keys out


def register_keys() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], KEEP_KEYS)
    grant(["community_staff", "centre_staff", "admin"], PUBLISH_NOTICES)
