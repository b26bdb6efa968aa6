"""Who may search an area for the people and houses to reach first in an emergency."""

from wangge.core.permissions import grant

SEARCH_AREA = "command.search_area"


def register() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], SEARCH_AREA)
