"""Several ``sourcing serve`` processes on one real PostgreSQL, as a deployment runs them.

PostgreSQL itself is started in a temporary folder for this module (tests/postgres.py: initdb,
pg_ctl, as the ``postgres`` user when run as root); each test gets its own database on it. The
servers are real processes (tests.test_service.Server) called over HTTP. Without PostgreSQL's
binaries the tests are skipped with the reason; in CI (``CI`` set) that is a failure instead,
since .ci/run installs them and these checks must not go quietly unrun.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from sourcing.service.migrate import head
from tests.postgres import create_database, missing_reason, running_postgres
from tests.test_scenarios import two_plants
from tests.test_service import Server, all_or_nothing_lots, descendants, gone
from tests.test_service_migrations import SNAPSHOTS

#: the lease of the kill test's servers: short, so the test is short
LEASE = 3.0
#: seconds allowed beyond the lease, a sweep and a solve, for a machine busy with other work
SLACK = 15.0


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs PostgreSQL (apt-get install postgresql)")
        pytest.skip(reason)
    with running_postgres() as url:
        yield url


@pytest.fixture
def database(postgres: str, request: pytest.FixtureRequest) -> str:
    """A fresh database for this test, named after it."""
    return create_database(postgres, request.node.name[:60].lower())


def servers(folder: Path, database: str, count: int, **env: str) -> list[Server]:
    started = []
    for number in range(count):
        data_dir = folder / f"server-{number}"
        data_dir.mkdir()
        environment = {"SOURCING_DB": database, "SOURCING_MAX_QUEUE": "1000", **env}
        started.append(Server(data_dir, workers=2, env=environment).start())
    return started


def rows(database: str, query: str) -> list[tuple[Any, ...]]:
    """The database's own answer, not a server's."""
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as db:
        return db.execute(query).fetchall()


def wait_all(client: httpx.Client, ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """Every job in ``ids`` once all are finished; fails if any is unfinished after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        listed = client.get("/v1/jobs", params={"limit": 1000}).json()["jobs"]
        jobs = {job["id"]: job for job in listed if job["id"] in ids}
        done = [j for j in jobs.values() if j["status"] in ("succeeded", "failed", "cancelled")]
        if len(done) == len(ids):
            return jobs
        unfinished = {j["id"]: j["status"] for j in jobs.values() if j not in done}
        assert time.monotonic() < deadline, f"unfinished after {timeout} s: {unfinished}"
        time.sleep(0.1)


def test_two_servers_share_the_queue_and_solve_each_job_once(database: str, tmp_path: Path):
    """Input: two servers on one database; 100 small jobs (the 4-supplier gallium case),
    submitted alternately to each. Expectation: every job succeeds with the case's optimum,
    each was started once (attempts 1) and has one plan; both servers solved some (claims go
    to whichever server is free, and never to two); any job is visible from either server."""
    first, second = servers(tmp_path, database, 2)
    try:
        with first.client() as one, second.client() as two:
            ids = []
            for number in range(100):
                client = (one, two)[number % 2]
                answer = client.post("/v1/jobs", json={"instance": two_plants()})
                assert answer.status_code == 202, answer.text
                ids.append(answer.json()["id"])
            jobs = wait_all(one, ids, timeout=240)
            assert {job["status"] for job in jobs.values()} == {"succeeded"}
            assert [job["objective"] for job in jobs.values()] == [pytest.approx(1710.0)] * 100
            assert {job["progress"]["attempts"] for job in jobs.values()} == {1}
            assert (
                two.get(f"/v1/jobs/{ids[0]}/plan").json()
                == one.get(f"/v1/jobs/{ids[0]}/plan").json()
            )
        holders = dict(rows(database, "SELECT holder, count(*) FROM jobs GROUP BY holder"))
        assert sum(holders.values()) == 100 and len(holders) == 2, holders
        assert rows(database, "SELECT count(*) FROM plans") == [(100,)]
    finally:
        first.stop()
        second.stop()


def test_kill_9_of_a_server_loses_no_job_and_solves_none_twice(database: str, tmp_path: Path):
    """Input: two servers with a 3 s lease; four slow jobs (each stops at its 2 s time limit)
    and 20 small ones queued; server A is killed (SIGKILL) while it runs two slow ones.
    Expectation: no job is lost: B finishes all 24, A's two within the lease, a sweep and a
    solve of the kill (plus SLACK); A's two were
    started twice (their note names A's lapsed lease), every other job once; one plan each."""
    a, b = servers(tmp_path, database, 2, SOURCING_LEASE_SECONDS=str(LEASE))
    try:
        with a.client() as to_a, b.client() as to_b:
            slow = {"instance": all_or_nothing_lots(), "options": {"time_limit": 2}}
            ids = [to_a.post("/v1/jobs", json=slow).json()["id"] for _ in range(4)]
            ids += [
                (to_a, to_b)[n % 2].post("/v1/jobs", json={"instance": two_plants()}).json()["id"]
                for n in range(20)
            ]
            held = f"SELECT id FROM jobs WHERE status = 'running' AND holder LIKE '%:{a.port}'"
            deadline = time.monotonic() + 60
            while len(rows(database, held)) < 2:
                assert time.monotonic() < deadline, "server A never ran two jobs at once"
                time.sleep(0.05)
            processes = descendants(a.pid)
            a.kill()
            killed_at = time.monotonic()
            in_flight = {job_id for (job_id,) in rows(database, held)}
            assert len(in_flight) == 2 and gone(processes)

            # A's leases lapse within LEASE, B's next sweep is within LEASE / 3, then one 2 s
            # solve; SLACK for a busy machine (B's own queue, process starts)
            jobs = wait_all(to_b, ids, timeout=LEASE + LEASE / 3 + 2 + SLACK)
            took = time.monotonic() - killed_at
            assert {job["status"] for job in jobs.values()} == {"succeeded"}, jobs
            again = {job_id for job_id, job in jobs.items() if job["progress"]["attempts"] == 2}
            assert again == in_flight
            assert {jobs[j]["progress"]["attempts"] for j in set(ids) - in_flight} == {1}
            for job_id in in_flight:
                assert "stopped renewing its lease (start 1)" in jobs[job_id]["note"]
            assert rows(database, "SELECT count(*) FROM plans") == [(24,)]
            print(f"all 24 jobs finished {took:.1f} s after the kill (lease {LEASE} s)")
    finally:
        a.stop()
        b.stop()


def test_a_database_from_before_migrations_is_upgraded_keeping_its_jobs(
    database: str, tmp_path: Path
):
    """Input: the tables and jobs as the service left them before migrations
    (tests/service_schema/v0.postgresql.sql: a succeeded job with its plan, a queued one, one
    left running by a stopped server). Expectation: a server starts on it, the schema is at
    the newest revision, the succeeded job's plan is served byte for byte, and the other two
    run to the case's optimum (the cut-off one for the second time)."""
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute((SNAPSHOTS / "v0.postgresql.sql").read_text())
    [server] = servers(tmp_path, database, 1)
    try:
        with server.client() as api:
            kept = api.get("/v1/jobs/old-succeeded/plan")
            assert kept.text == '{"objective": 1710.0, "kept": "byte for byte"}'
            jobs = wait_all(api, ["old-succeeded", "old-queued", "old-running"], timeout=60)
            assert {job["status"] for job in jobs.values()} == {"succeeded"}
            assert jobs["old-queued"]["objective"] == pytest.approx(1710.0)
            assert jobs["old-running"]["objective"] == pytest.approx(1710.0)
            assert jobs["old-running"]["progress"]["attempts"] == 2
            assert jobs["old-queued"]["progress"]["attempts"] == 1
        [(revision,)] = rows(database, "SELECT version_num FROM alembic_version")
        assert revision == head()
    finally:
        server.stop()
