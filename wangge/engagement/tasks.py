"""Background work of the engagement module: closing the points months that have ended (月结)."""

from django_tasks import task


@task()
def close_point_months() -> int:
    from wangge.engagement import services

    return services.close_ended_months()
