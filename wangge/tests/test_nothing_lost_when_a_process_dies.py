"""Nothing is lost, half-written or sent twice when a process dies. The real worker (`wangge worker`) and the
real web server run as separate processes on a database of their own and are killed with SIGKILL in the
middle of a long write; after a restart every outcome is all or nothing, every accepted piece of work is
done, and every message is delivered once."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WANGGE = str(Path(sys.executable).parent / "wangge")
# The processes that lay out each test's data make accounts that never sign in with a password (the
# phone has a token): they hash with the test suite's fast hasher, not 0.5 s of PBKDF2 per account.
SETUP = """import django, json; django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""
# the command-line tests and `make lint` run the system checks; here they would cost 0.5 s a start
QUIET = ("-v", "0", "--skip-checks")


pytestmark = pytest.mark.long


class RealDatabase:
    """A database that separate processes share (the test database lives in this process only)."""

    def __init__(self, tmp: Path):
        base = os.environ.get("WANGGE_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
        self.postgres = base.startswith("postgres")
        if self.postgres:
            import psycopg

            server, _, name = base.rpartition("/")
            self.name = f"{name.split('?')[0]}_kill_{os.getpid()}"
            self.server = server
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"{server}/{self.name}"
        else:
            self.path = tmp / "shared.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self._reader: sqlite3.Connection | None = None
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_CURRENT_TEST")},
            "WANGGE_DATABASE_URL": self.url,
            "WANGGE_DEBUG": "1",
            "WANGGE_TESTING": "0",
            "WANGGE_VAR_DIR": str(tmp / "var"),
            "WANGGE_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "WANGGE_TASK_STALE_SECONDS": "1",  # what a killed worker ran is taken back at once
            "WANGGE_LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "wangge.settings",
        }
        subprocess.run(
            [WANGGE, "manage", "migrate", "--no-input", *QUIET], env=self.env, cwd=ROOT, check=True
        )

    def python(self, code: str):
        """Run code in a process of its own against this database; what it prints last, as JSON."""
        out = subprocess.run([sys.executable, "-c", SETUP + code], env=self.env, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def value(self, sql: str, params=()):
        """One value, read straight from the database (fast enough to poll while a process writes)."""
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
                return conn.execute(sql.replace("?", "%s"), params or None).fetchone()[0]
        return self.reader().execute(sql, params).fetchone()[0]

    def rows(self, sql: str) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
                return conn.execute(sql).fetchall()
        return self.reader().execute(sql).fetchall()

    def reader(self) -> sqlite3.Connection:
        """One connection held open for every read: were a process of ours the last to close the
        database, it would checkpoint and remove the WAL under an exclusive lock, and a reader would
        wait on it for as long as that process is stopped."""
        if self._reader is None:
            self._reader = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        return self._reader

    def execute(self, sql: str) -> None:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
                conn.execute(sql)
            return
        with sqlite3.connect(self.path, timeout=30) as conn:
            conn.execute(sql)

    def writing(self, table: str) -> bool:
        """Whether a transaction holds a write on the table right now (PostgreSQL: its lock; SQLite: the
        database's one write lock)."""
        if self.postgres:
            return self.value(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = ? "
                "AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock') AND l.pid <> pg_backend_pid()",
                (table,),
            ) > 0  # fmt: skip
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()

    def kill_when(
        self, process, check, *, near=None, past=lambda: False, timeout: float = 120, step: float = 0.003
    ) -> None:
        """Let the process run in short steps (SIGCONT, 3 ms, SIGSTOP) and SIGKILL it in the first
        stopped state where check() holds: what the test saw is exactly what the kill leaves, however
        loaded the machine. past() says the process ran beyond the wanted state in one step. Until
        near() holds (by default: until a worker has taken a task) the steps are longer (its start)."""
        near = near or self.task_running
        deadline = time.monotonic() + timeout
        if not self.postgres:  # a stopped writer can hold SQLite's WAL index: look again after a step
            self.reader().execute("PRAGMA busy_timeout = 200")
        ran = 0.0  # how long the last step let the process run (shown when it ran past)
        resumed = time.monotonic()
        try:
            while time.monotonic() < deadline:
                _stop(process.pid)
                ran = time.monotonic() - resumed
                try:
                    if near is not None and not near():
                        coarse = True
                    else:
                        near, coarse = None, False
                        if check():
                            return
                        assert not past(), (
                            f"the process ran past the state to kill it in one step ({ran:.3f} s)"
                        )
                except sqlite3.OperationalError:
                    # stopped halfway through writing SQLite's WAL index: readers wait for it, so this is no
                    # state to look at; let it run on
                    coarse = False
                os.killpg(process.pid, signal.SIGCONT)
                resumed = time.monotonic()
                # 3 ms: a duty sync writes its last rules within 15 ms (measured), more than one 10 ms step
                time.sleep(step * 10 if coarse else step)
            raise AssertionError("timed out waiting")
        finally:
            kill(process)
            if not self.postgres:
                self.reader().execute("PRAGMA busy_timeout = 30000")

    def task_running(self) -> bool:
        return (
            self.value("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'") > 0
        )

    def drop(self) -> None:
        if not self.postgres and self._reader is not None:
            self._reader.close()
        if self.postgres:
            import psycopg

            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = RealDatabase(tmp_path_factory.mktemp("killed"))
    db.python("from testkit import build_town; build_town(); print(1)")
    yield db
    db.drop()


@contextmanager
def running(db: RealDatabase, *command: str, stepped: bool = False):
    """A process of ours, started in a session of its own so that SIGKILL takes all of it. One the test
    steps (`kill_when`) runs at a lower priority than the test: on a loaded machine the test's 10 ms steps
    must not stretch while the process runs on (a starved test once let a duty sync run from its first
    rule past its last in one step)."""
    nice = ["nice", "-n", "10"] if stepped else []
    process = subprocess.Popen([*nice, WANGGE, *command], env=db.env, cwd=ROOT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def kill(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _stop(group: int) -> None:
    """SIGSTOP the process group and wait until every thread of it has stopped. A process stopped
    while it starts a subprocess (vfork) waits for its stopped child and never stops itself: then let
    it run on and stop it again. A thread in the middle of a write (state D, a slow fsync on a loaded
    machine) stops when the write is done: waiting for it, not letting the process run on, keeps the
    step short (with 50 ms the processes ran whole steps past their state, measured)."""
    while True:
        os.killpg(group, signal.SIGSTOP)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            if all(state in "TtZ" for state in _thread_states(group)):
                return
            time.sleep(0.0005)
        os.killpg(group, signal.SIGCONT)


def _thread_states(pid: int) -> list[str]:
    """The state of every thread of the process and of its children, grandchildren, ..."""
    states = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
            for child in (task / "children").read_text().split():
                states += _thread_states(int(child))
    except FileNotFoundError:
        pass  # gone meanwhile
    return states


def wait_until(check, timeout: float = 120, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def test_a_ledger_import_killed_in_its_commit_writes_nothing_then_completes_after_a_restart(real_db):
    rows = 8_000
    job = real_db.python(f"""
import random
from bench.import_persons import make_ledger
from testkit import grid_worker
from wangge.grids.models import Grid
from wangge.registry.models import ImportJob
from wangge.registry.tasks import run_ledger_import
unit = Grid.objects.filter(numchild=0).order_by("path").first()
codes = [unit.code]
content = make_ledger(random.Random(5), codes, rows={rows})
clerk = grid_worker(unit, username="ledger-clerk")
job = ImportJob.objects.create(user=clerk, filename="l.xlsx", content=content)
run_ledger_import.enqueue(job.pk, commit=True)
print(job.pk)
""")
    persons = "SELECT COUNT(*) FROM registry_person"
    before = real_db.value(persons)
    status = "SELECT status || ':' || progress FROM registry_importjob WHERE id = ?"
    with running(real_db, "worker", "--no-periodic", *QUIET, stepped=True) as worker:
        # inside the commit's one transaction: the check's last progress is 89 (90 x 7,999 / 8,000), and
        # a write after it is the commit's
        def committing() -> bool:
            return real_db.value(status, (job,)) == "committing:89" and real_db.writing("registry_person")

        real_db.kill_when(worker, committing, past=lambda: real_db.value(status, (job,)).startswith("done"))
        assert real_db.value(status, (job,)).startswith("committing")  # killed mid-way
    assert real_db.value(persons) == before  # nothing half-written
    with running(real_db, "worker", *QUIET):  # the restarted worker takes the killed task back
        wait_until(lambda: real_db.value(status, (job,)).startswith("done"), timeout=300, every=0.2)
    assert real_db.value(persons) == before + rows  # nothing lost, nothing twice
    assert real_db.value("SELECT COUNT(DISTINCT id_index) FROM registry_person") == before + rows


def test_outbox_delivery_killed_mid_way_delivers_each_message_once_after_a_restart(real_db):
    units = 20
    made = real_db.python(f"""
from wangge.accounts import services as accounts
from wangge.core import outbox
from testkit import grid_worker
from wangge.grids.models import Grid
leaves = list(Grid.objects.filter(numchild=0).order_by("path")[:{units}])
for g in leaves:
    grid_worker(g, username=f"outbox-{{g.pk}}")
rows = [outbox.row(f"kill:{{i}}:{{g.pk}}", grid_id=g.pk, title="停水") for i in range(100) for g in leaves]
outbox.queue(rows)
print([len(rows), sum(accounts.unit_users(g.pk).count() for g in leaves) * 100])
""")
    rows, expected = made
    pending = "SELECT COUNT(*) FROM core_outboxmessage WHERE key LIKE 'kill:%' AND sent_at IS NULL"
    messages = "SELECT COUNT(*) FROM core_message WHERE outbox_key LIKE 'kill:%'"
    real_db.python(
        "from wangge.core.tasks import deliver_outbox; deliver_outbox.enqueue(limit=200); print(1)"
    )
    with running(real_db, "worker", "--no-periodic", *QUIET, stepped=True) as worker:
        real_db.kill_when(
            worker,
            lambda: 0 < real_db.value(messages) and real_db.value(pending) > rows // 4,
            past=lambda: real_db.value(pending) <= rows // 4,
        )
    sent = rows - real_db.value(pending)
    assert 0 < sent < rows  # killed mid-way
    # each batch whole: a row marked sent has its messages, a row not sent has none
    told = "(SELECT COUNT(*) FROM core_message m WHERE m.outbox_key LIKE o.key || ':%')"
    rows_where = "SELECT COUNT(*) FROM core_outboxmessage o WHERE o.key LIKE 'kill:%' AND "
    assert real_db.value(rows_where + f"o.sent_at IS NULL AND {told} > 0") == 0
    assert real_db.value(rows_where + f"o.sent_at IS NOT NULL AND {told} = 0") == 0
    real_db.python(
        "from wangge.core.tasks import deliver_outbox; deliver_outbox.enqueue(limit=200); print(1)"
    )
    with running(real_db, "worker", "--no-periodic", *QUIET):
        wait_until(lambda: real_db.value(pending) == 0)
    assert real_db.value(messages) == expected  # every message, once
    assert real_db.value(
        "SELECT COUNT(DISTINCT outbox_key) FROM core_message WHERE outbox_key LIKE 'kill:%'"
    ) == (expected)


def test_the_deadline_sweep_killed_mid_way_leaves_each_case_whole_and_finishes_after_a_restart(real_db):
    due = 3000  # six of the sweep's 500-case transactions: the kill lands after the first and before 2,500
    real_db.python(f"""
from datetime import timedelta
from django.utils import timezone
from wangge.cases.models import Case, Category
from wangge.grids.models import Grid
category = Category.objects.get(key="garbage_dumping")
leaves = list(Grid.objects.filter(numchild=0))
past = timezone.now() - timedelta(hours=1)
Case.objects.bulk_create([
    Case(code=f"K{{n:08d}}", token=f"k{{n:011d}}", category=category,
         catalogue_version_id=category.version_id, description="超时",
         grid=leaves[n % len(leaves)], handler_grid=leaves[n % len(leaves)],
         status="dispatched", stage_due_at=past, due_at=past, next_check_at=past)
    for n in range({due})
], batch_size=2000)
print(1)
""")
    left = "SELECT COUNT(*) FROM cases_case WHERE code LIKE 'K%' AND escalation_level = 0"
    whole = (
        "SELECT COUNT(*) FROM cases_case c WHERE c.code LIKE 'K%' AND c.escalation_level <> "
        "(SELECT COUNT(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'overdue')"
    )
    real_db.python("from wangge.cases.tasks import sweep_deadlines; sweep_deadlines.enqueue(); print(1)")
    with running(real_db, "worker", "--no-periodic", *QUIET, stepped=True) as worker:
        real_db.kill_when(
            worker, lambda: 0 < real_db.value(left) < due - 500, past=lambda: real_db.value(left) == 0
        )
    assert 0 < real_db.value(left) < due  # killed mid-way
    assert real_db.value(whole) == 0  # every case escalated with its step, or not at all
    with running(real_db, "worker", *QUIET):  # the restarted worker takes the sweep back
        wait_until(lambda: real_db.value(left) == 0, timeout=300, every=0.2)
    assert real_db.value(whole) == 0
    assert (
        real_db.value("SELECT MAX(escalation_level) FROM cases_case WHERE code LIKE 'K%'") == 1
    )  # once each


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_visit_upload_in_flight_when_the_server_dies_is_stored_once_by_the_phones_resend(real_db):
    made = real_db.python("""
from wangge.accounts import services as accounts
from testkit import grid_worker
from wangge.grids.models import Grid
from wangge.registry.tests.factories import household_with_people
unit = Grid.objects.filter(numchild=0).order_by("path").first()
worker = grid_worker(unit, username="phone-visitor")
hh, _ = household_with_people(unit)
_t, key = accounts.issue_token(worker, name="phone", days=1)
print(json.dumps([hh.pk, key]))
""")
    household, key = made
    body = json.dumps(
        {"household": household, "client_id": "phone-visit-1", "notes": "在家，身体好"}
    ).encode()

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def send(port: int, timeout: float = 10):
        url = f"http://127.0.0.1:{port}/api/fieldwork/visits"
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())

    visits = "SELECT COUNT(*) FROM fieldwork_visit WHERE client_id = 'phone-visit-1'"
    port = _free_port()
    server = ["manage", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"]
    with running(real_db, *server, stepped=True) as web:
        wait_until(lambda: _answers(port))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as phone:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            phone.sendall(
                f"POST /api/fieldwork/visits HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )  # the upload is on its way; the server dies once it has stored it, before the phone reads
            real_db.kill_when(
                web,
                lambda: real_db.value(visits) == 1 or bool(select.select([phone], [], [], 0)[0]),
                near=lambda: True,  # the server is up
            )
    assert real_db.value(visits) == 1  # stored whole; the phone never heard the answer
    port = _free_port()
    with running(real_db, "manage", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"):
        wait_until(lambda: _answers(port))
        status, first = send(port)  # the phone resends (it never saw an answer it could trust)
        again_status, again = send(port)  # and once more, for good measure
    assert status == again_status == 201 and first["id"] == again["id"]
    assert real_db.value(visits) == 1


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def test_a_visit_duty_sync_killed_mid_way_leaves_each_rule_whole_and_finishes_after_a_restart(real_db):
    # each rule's duties are written in a transaction of their own: 20,000 people make the rules after
    # the first big enough that the kill lands between two of them on a loaded machine (5,000 did not)
    real_db.python("""
import random
from bench.import_persons import make_ledger
from testkit import grid_worker
from wangge.grids.models import Grid
from wangge.registry import importing
unit = Grid.objects.filter(numchild=0).order_by("-path").first()
content = make_ledger(random.Random(9), [unit.code], rows=20000, prefix="D", region="350925")
report = importing.import_ledger(content, commit=True, user=grid_worker(unit, username="duty-clerk"))
assert report.committed, report.errors[:3]
print(1)
""")
    per_rule = "SELECT rule_id, COUNT(*) FROM fieldwork_duty GROUP BY rule_id ORDER BY rule_id"
    real_db.python("from wangge.fieldwork.tasks import sync_duties; sync_duties.call(); print(1)")
    full = dict(real_db.rows(per_rule))  # what a whole sync gives each rule
    assert sum(full.values()) > 20000 // 3
    real_db.execute("DELETE FROM fieldwork_duty")
    real_db.python("from wangge.fieldwork.tasks import sync_duties; sync_duties.enqueue(); print(1)")
    total = "SELECT COUNT(*) FROM fieldwork_duty"
    with running(real_db, "worker", "--no-periodic", *QUIET, stepped=True) as worker:
        # some rules' duties are in, not all: the kill lands between or inside the rules' transactions
        real_db.kill_when(
            worker,
            lambda: 0 < real_db.value(total) < sum(full.values()),
            past=lambda: real_db.value(total) == sum(full.values()),
        )
    after_kill = dict(real_db.rows(per_rule))
    # each rule is one transaction: its duties are all there or none
    assert all(after_kill.get(rule, 0) in (0, n) for rule, n in full.items()), (after_kill, full)
    assert 0 < sum(after_kill.values()) < sum(full.values())  # killed mid-way
    real_db.python("from wangge.fieldwork.tasks import sync_duties; sync_duties.enqueue(); print(1)")
    with running(real_db, "worker", "--no-periodic", *QUIET):
        wait_until(lambda: dict(real_db.rows(per_rule)) == full, timeout=300, every=0.2)
    duplicates = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM fieldwork_duty GROUP BY rule_id, household_id "
        "HAVING COUNT(*) > 1) d"
    )
    assert real_db.value(duplicates) == 0
