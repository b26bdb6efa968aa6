"""Background work of the command module: the analysis reports whose period has ended."""

from django_tasks import task


@task()
def generate_reports() -> int:
    from wangge.command import analysis

    return analysis.generate_due()
