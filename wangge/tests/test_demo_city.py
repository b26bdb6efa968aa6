"""`wangge demo city` at a small size, on a database of its own: the city scene's six levels, each grid
split in its fan-out; residents in the micro-grids through the ledger import; workers and leaders; the
seed cases handled through the services and their history copied back day by day with their events,
each copy in another micro-grid at its centre. PostgreSQL only (the command refuses SQLite)."""

from __future__ import annotations

import subprocess

import pytest

from wangge.tests.test_nothing_lost_when_a_process_dies import QUIET, ROOT, WANGGE, RealDatabase

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def city_db(tmp_path_factory):
    db = RealDatabase(tmp_path_factory.mktemp("city"))
    yield db
    db.drop()


def test_a_small_city_is_generated_through_each_modules_bulk_path(city_db):
    size = [
        "--districts",
        "2",
        "--micro-grids",
        "32",
        "--persons",
        "300",
        "--days",
        "4",
        "--cases-per-day",
        "40",
        "--seed-cases",
        "30",
    ]
    out = subprocess.run(
        [WANGGE, "demo", "city", *size, *QUIET],
        env=city_db.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if not city_db.postgres:
        assert out.returncode != 0 and "需要 PostgreSQL" in out.stderr
        return
    assert out.returncode == 0, out.stderr[-3000:]
    assert "城市已生成" in out.stdout
    by_depth = city_db.rows("SELECT depth, COUNT(*) FROM grids_grid GROUP BY depth ORDER BY depth")
    assert by_depth == [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32)]
    assert city_db.value("SELECT COUNT(*) FROM registry_person") == 300
    outside = (
        "SELECT COUNT(*) FROM registry_person p JOIN grids_grid g ON g.id = p.grid_id WHERE g.depth <> 6"
    )
    assert city_db.value(outside) == 0  # every resident in a micro-grid
    assert city_db.value("SELECT COUNT(*) FROM registry_person WHERE id_number LIKE '51%'") == 0  # encrypted
    workers = "SELECT COUNT(*) FROM accounts_user WHERE username LIKE 'worker%'"
    assert city_db.value(workers) == 8  # one a community
    seeded = city_db.value("SELECT COUNT(*) FROM cases_case WHERE id < 1000000")
    copies = city_db.value("SELECT COUNT(*) FROM cases_case WHERE id >= 1000000")
    assert seeded == 30 and copies > 0
    finished = city_db.value(
        "SELECT COUNT(*) FROM cases_case WHERE id < 1000000 AND status IN ('closed', 'rejected')"
    )
    per_day = -(-40 // finished)  # copies of the finished seed a day: at least the 40 a day
    assert copies == 3 * per_day * finished  # the three days before the seed's
    # every copy has its source's events, moved back whole days, and sits at its micro-grid's centre
    copied = "FROM cases_case c JOIN cases_case s ON s.id = c.id % 1000000 WHERE c.id >= 1000000"
    events = "(SELECT COUNT(*) FROM cases_caseevent e WHERE e.case_id = {})"
    assert (
        city_db.value(f"SELECT COUNT(*) {copied} AND {events.format('c.id')} <> {events.format('s.id')}") == 0
    )
    at_centre = "g.depth = 6 AND c.lon = g.center_lon AND c.lat = g.center_lat"
    placed = f"SELECT COUNT(*) {copied.replace('WHERE', 'JOIN grids_grid g ON g.id = c.grid_id WHERE')}"
    assert city_db.value(f"{placed} AND NOT ({at_centre})") == 0
    days = "(interval '1 day', interval '2 days', interval '3 days')"
    assert city_db.value(f"SELECT COUNT(*) {copied} AND (s.created - c.created) NOT IN {days}") == 0
    assert city_db.value("SELECT COUNT(DISTINCT day) FROM cases_casetally") >= 4  # the daily tallies rebuilt
    # the workers' rounds: working days only, in their own grid, each visit meeting its household's duties
    visits = city_db.value("SELECT COUNT(*) FROM fieldwork_visit")
    assert visits > 0
    held = (
        "SELECT COUNT(*) FROM fieldwork_visit v JOIN grids_grid g ON g.id = v.grid_id WHERE NOT EXISTS "
        "(SELECT 1 FROM grids_roleassignment r JOIN grids_grid h ON h.id = r.grid_id "
        "WHERE r.user_id = v.worker_id AND g.path LIKE h.path || '%')"
    )
    assert city_db.value(held) == 0
    weekend = (
        "SELECT COUNT(*) FROM fieldwork_visit "
        "WHERE EXTRACT(ISODOW FROM visited_at AT TIME ZONE 'Asia/Shanghai') > 5"
    )
    assert city_db.value(weekend) == 0
    unmet = (
        "SELECT COUNT(*) FROM fieldwork_visit v "
        "WHERE NOT EXISTS (SELECT 1 FROM fieldwork_fulfilment f WHERE f.visit_id = v.id)"
    )
    assert city_db.value(unmet) == 0
    behind = (
        "SELECT COUNT(*) FROM fieldwork_fulfilment f JOIN fieldwork_duty d ON d.rule_id = f.rule_id "
        "AND d.household_id = f.household_id WHERE d.last_done < f.done_on OR d.due_on <= f.done_on"
    )
    assert city_db.value(behind) == 0  # each duty met moved on past its visit
    # each household's next visit kept beside its duties, as the duties give it
    first_due = (
        "SELECT d.household_id, MIN(d.due_on) FROM fieldwork_duty d JOIN fieldwork_visitrule r "
        "ON r.id = d.rule_id WHERE r.active GROUP BY d.household_id"
    )
    kept = "SELECT household_id, first_due FROM fieldwork_householddue"
    assert city_db.value("SELECT COUNT(*) FROM fieldwork_householddue") > 0
    assert city_db.value(f"SELECT COUNT(*) FROM (({first_due}) EXCEPT ({kept})) AS missing") == 0
    assert city_db.value(f"SELECT COUNT(*) FROM (({kept}) EXCEPT ({first_due})) AS extra") == 0
