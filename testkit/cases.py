"""Cases written raw in bulk, for the sweep's benchmark and the workers' test and benchmark: many open
cases of the test town at once, some of them past their deadline."""

from __future__ import annotations

import random
from datetime import timedelta

COLUMNS = (
    "id",
    "created",
    "last_updated",
    "code",
    "token",
    "channel",
    "category_id",
    "catalogue_version_id",
    "description",
    "address",
    "attributes",
    "grid_id",
    "handler_grid_id",
    "status",
    "suspended_from",
    "outcome",
    "answer",
    "stage_due_at",
    "due_at",
    "next_check_at",
    "warning",
    "overdue",
    "escalation_level",
    "supervised",
    "reopened",
    "rating",
    "rating_comment",
    "reporter_name",
    "reporter_phone",
    "reporter_phone_index",
    "pending_request",
    "pending_reason",
    "follows_first",
)


def write_open_cases(town, count: int, *, due_every: int, prefix: str = "B", seed: int = 3) -> list[int]:
    """`count` dispatched cases over the town's units, written raw; every `due_every`-th one's deadline
    passed a minute ago (the sweep's work), the others due hours ahead. Returns the due ones' ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.cases.models import Case, Category
    from wangge.core.bulk import insert_rows, reserve_ids

    category = Category.objects.get(key="garbage_dumping")
    now = timezone.now()
    rng = random.Random(seed)
    adapt = connection.ops.adapt_datetimefield_value
    due_ids: list[int] = []
    batch = 100_000
    for start in range(0, count, batch):
        with transaction.atomic():
            ids = reserve_ids(Case, min(batch, count - start))
            rows = []
            for k, pk in enumerate(ids):
                n = start + k
                unit = town.units[n % len(town.units)]
                late = n % due_every == 0
                check = now - timedelta(minutes=5) if late else now + timedelta(hours=rng.uniform(1, 200))
                due = now - timedelta(minutes=1) if late else check + timedelta(hours=2)
                if late:
                    due_ids.append(pk)
                rows.append(
                    (
                        pk,
                        adapt(now),
                        adapt(now),
                        f"{prefix}{n:09d}",
                        f"t{prefix}{n:011d}",
                        "resident",
                        category.pk,
                        category.version_id,
                        "bench",
                        "",
                        "{}",
                        unit.pk,
                        unit.pk,
                        "dispatched",
                        "",
                        "",
                        "",
                        adapt(due),
                        adapt(due),
                        adapt(check),
                        False,
                        False,
                        0,
                        False,
                        0,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        False,
                    )
                )
            insert_rows(Case, COLUMNS, rows)
    return due_ids
