"""Who records visits and who runs campaigns; where is decided by jurisdiction."""

from wangge.core.permissions import grant

VIEW = "fieldwork.view_visit"
RECORD = "fieldwork.add_visit"
MANAGE_CAMPAIGNS = "fieldwork.manage_campaign"
VIEW_COVERAGE = "fieldwork.view_coverage"
PATROL = "fieldwork.manage_patrol"  # plan the joint patrol and record what it found
SERVICE = "fieldwork.add_service"  # 帮办代办 records


def register() -> None:
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], RECORD)
    grant(["grid_leader", "community_staff", "centre_staff", "admin"], MANAGE_CAMPAIGNS)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "leader", "admin"], VIEW_COVERAGE)
    grant(["grid_leader", "community_staff", "centre_staff", "admin"], PATROL)
    grant(["grid_worker", "grid_leader", "community_staff", "centre_staff", "admin"], SERVICE)
