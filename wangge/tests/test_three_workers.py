"""Three `wangge worker` processes on one queue (the django-tasks database backend, with row locks on
PostgreSQL): every task runs once, on one of them; the periodic sweeps are enqueued once, not three
times; a worker killed in the middle of a task leaves it to another, which finishes it, each message
delivered once. PostgreSQL only: on SQLite one process writes at a time, so a deployment there runs one
worker."""

from __future__ import annotations

import time

import pytest

from wangge.tests.test_nothing_lost_when_a_process_dies import QUIET, RealDatabase, running, wait_until

pytestmark = pytest.mark.long
TASKS = "django_tasks_database_dbtaskresult"


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory):
    db = RealDatabase(tmp_path_factory.mktemp("workers"))
    if not db.postgres:
        db.drop()
        pytest.skip("several workers share a queue on PostgreSQL only (SQLite: one writer, one worker)")
    db.python("from testkit import build_town; build_town(); print(1)")
    yield db
    db.drop()


def _outbox(db: RealDatabase, prefix: str, per_unit: int) -> int:
    """Messages to every account of 20 unit grids; how many the outbox rows make."""
    return db.python(f"""
from wangge.accounts import services as accounts
from wangge.core import outbox
from wangge.grids.models import Grid
from testkit import grid_worker
leaves = list(Grid.objects.filter(numchild=0).order_by("path")[:20])
for g in leaves:
    grid_worker(g, username=f"{prefix}-{{g.pk}}")
rows = [outbox.row(f"{prefix}:{{i}}:{{g.pk}}", grid_id=g.pk, title="停水") for i in range({per_unit})
        for g in leaves]
outbox.queue(rows)
print(sum(accounts.unit_users(g.pk).count() for g in leaves) * {per_unit})
""")


def test_three_workers_run_each_task_once_and_each_sweep_once(shared_db):
    expected = _outbox(shared_db, "three", 10)
    started = time.monotonic()
    with (
        running(shared_db, "worker", *QUIET),
        running(shared_db, "worker", *QUIET),
        running(shared_db, "worker", *QUIET),
    ):
        # every worker up and ticked (at its start, then every 5 s); nothing periodic is due again for 30 s.
        # Then the work, small tasks that the three take as they come
        time.sleep(max(0.0, 10 - (time.monotonic() - started)))
        shared_db.python(
            "from wangge.core.tasks import deliver_outbox\n"
            "for _ in range(90): deliver_outbox.enqueue(limit=3)\nprint(1)"
        )
        wait_until(lambda: shared_db.value(f"SELECT COUNT(*) FROM {TASKS} WHERE status = 'READY'") == 0)
        wait_until(lambda: shared_db.value(f"SELECT COUNT(*) FROM {TASKS} WHERE status = 'RUNNING'") == 0)
    messages = shared_db.value("SELECT COUNT(*) FROM core_message WHERE outbox_key LIKE 'three:%'")
    assert messages == expected  # each message once
    ran = shared_db.rows(f"SELECT task_path, status, worker_ids FROM {TASKS}")
    delivered = [r for r in ran if r[0].endswith("deliver_outbox")]
    assert all(status == "SUCCESSFUL" and len(workers) == 1 for _p, status, workers in ran)
    assert len({w for _p, _s, workers in delivered for w in workers}) >= 2  # shared out, not one took all
    sweeps = [p for p, _s, _w in ran if p.endswith("sweep_deadlines")]
    assert len(sweeps) == 1  # three workers started: the sweep enqueued once in its minute
    assert shared_db.value("SELECT COUNT(*) FROM core_periodicslot") >= 5


def test_a_worker_killed_mid_task_leaves_it_to_another(shared_db):
    rows_before = shared_db.value("SELECT COUNT(*) FROM core_outboxmessage")
    expected = _outbox(shared_db, "handed", 100)
    rows = shared_db.value("SELECT COUNT(*) FROM core_outboxmessage") - rows_before
    pending = "SELECT COUNT(*) FROM core_outboxmessage WHERE key LIKE 'handed:%' AND sent_at IS NULL"
    messages = "SELECT COUNT(*) FROM core_message WHERE outbox_key LIKE 'handed:%'"
    shared_db.execute(f"DELETE FROM {TASKS}")
    shared_db.python(
        "from wangge.core.tasks import deliver_outbox; deliver_outbox.enqueue(limit=400); print(1)"
    )
    with running(shared_db, "worker", "--no-periodic", *QUIET, stepped=True) as first:
        shared_db.kill_when(
            first,
            lambda: 0 < shared_db.value(messages) and shared_db.value(pending) > rows // 4,
            past=lambda: shared_db.value(pending) <= rows // 4,
        )
    assert 0 < rows - shared_db.value(pending) < rows  # killed mid-way, the task left running
    assert shared_db.value(f"SELECT COUNT(*) FROM {TASKS} WHERE status = 'RUNNING'") == 1
    shared_db.execute("DELETE FROM core_periodicslot")  # the others start as a fresh pair would
    with running(shared_db, "worker", *QUIET), running(shared_db, "worker", *QUIET):
        # their first tick runs requeue_abandoned: the dead worker's task is ready again, and taken
        wait_until(lambda: shared_db.value(pending) == 0)
        # and its worker has marked it done (the last message sent is not yet the task finished)
        unfinished = f"SELECT COUNT(*) FROM {TASKS} WHERE status IN ('READY', 'RUNNING')"
        wait_until(lambda: shared_db.value(unfinished) == 0)
    assert shared_db.value(messages) == expected  # every message, once
    ran = shared_db.rows(
        f"SELECT args_kwargs, status, worker_ids FROM {TASKS} WHERE task_path LIKE '%deliver_outbox'"
    )
    [(status, workers)] = [(s, w) for a, s, w in ran if a["kwargs"].get("limit") == 400]
    assert status == "SUCCESSFUL" and len(workers) == 2  # taken by the killed worker, finished by another


def test_a_large_sweep_is_shared_among_the_workers(shared_db):
    """More due than one batch: the sweep asks the other workers to help, and each case is escalated once,
    by whichever worker held its batch."""
    shared_db.execute(f"DELETE FROM {TASKS}")
    due = shared_db.python(
        "from testkit import the_town\nfrom testkit.cases import write_open_cases\n"
        "print(len(write_open_cases(the_town(), 8000, due_every=1, prefix='S')))"
    )
    still_due = "SELECT COUNT(*) FROM cases_case WHERE next_check_at <= now()"
    assert shared_db.value(still_due) == due
    with (
        running(shared_db, "worker", "--no-periodic", *QUIET),
        running(shared_db, "worker", "--no-periodic", *QUIET),
        running(shared_db, "worker", "--no-periodic", *QUIET),
    ):
        time.sleep(6)  # every worker up and looking at the queue
        shared_db.python(
            "from wangge.cases.tasks import sweep_deadlines; sweep_deadlines.enqueue(); print(1)"
        )
        wait_until(lambda: shared_db.value(still_due) == 0)
        unfinished = f"SELECT COUNT(*) FROM {TASKS} WHERE status IN ('READY', 'RUNNING')"
        wait_until(lambda: shared_db.value(unfinished) == 0)
    ran = shared_db.rows(
        f"SELECT task_path, return_value, worker_ids FROM {TASKS} WHERE task_path LIKE 'wangge.cases.tasks.%'"
    )
    assert sorted(p.rsplit(".", 1)[1] for p, _v, _w in ran) == ["help_sweep"] * 4 + ["sweep_deadlines"]
    assert sum(value["escalated"] for _p, value, _w in ran) == due  # each case once
    sweepers = {w for _p, value, workers in ran if value["escalated"] for w in workers}
    assert len(sweepers) >= 2  # shared out
