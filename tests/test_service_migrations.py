"""The jobs database's schema migrations (Alembic), on SQLite: the default database.

A database the service made before it had migrations (tests/service_schema/v0.sqlite.sql, the
DDL of that code's ``create_all`` and three jobs) is recognised and upgraded without losing a
job; a database from a newer version is refused by ``sourcing serve`` with a message and exit
code 2, never a traceback; and the migrations build exactly the tables the code maps. The same
upgrade on PostgreSQL is in tests/test_service_postgres.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from sourcing.service.db import QUEUED, RUNNING, SUCCEEDED, Base, Store
from sourcing.service.migrate import BASE, current, head
from tests.conftest import ROOT

SNAPSHOTS = Path(__file__).with_name("service_schema")
OWNER = "5d1ebb680d9ac84f61dc5b2214842c0b16f6bc153a8eb5733ae57d1a15783556"


def old_database(folder: Path) -> str:
    """A SQLite file as the service before migrations left it: tables, no alembic_version."""
    path = folder / "sourcing.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((SNAPSHOTS / "v0.sqlite.sql").read_text())
    return f"sqlite:///{path}"


def test_a_database_from_before_migrations_is_upgraded_keeping_its_jobs(tmp_path: Path):
    """Input: the snapshot, with a succeeded job (and its plan), a queued one, and one its
    stopped server left running. Expectation: opening it stamps the base revision, upgrades
    to the newest, and every job keeps its state, its fields and its plan byte for byte; the
    new columns are empty (the running job has no holder: the first sweep re-queues it)."""
    url = old_database(tmp_path)
    store = Store(url)
    assert current(store.engine) == head() != BASE
    jobs = {job.id: job for job in store.list(OWNER, None, 10)}
    assert {job_id: job.status for job_id, job in jobs.items()} == {
        "old-succeeded": SUCCEEDED,
        "old-queued": QUEUED,
        "old-running": RUNNING,
    }
    assert jobs["old-succeeded"].objective == 1710.0
    assert jobs["old-running"].phase == "solve" and jobs["old-running"].attempts == 1
    assert store.plan("old-succeeded") == '{"objective": 1710.0, "kept": "byte for byte"}'
    assert all(job.holder is None and job.lease_until is None for job in jobs.values())
    assert store.expired() == [("old-running", "job", 1, "solve", None)]

    again = Store(url)  # opening an upgraded database changes nothing
    assert current(again.engine) == head()
    assert len(again.list(OWNER, None, 10)) == 3


def test_the_migrations_build_the_tables_the_code_maps(tmp_path: Path):
    """Input: an empty SQLite file, upgraded from nothing. Expectation: Alembic finds no
    difference between the tables the migrations made and the models in db.py (a model
    changed without a migration fails here)."""
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_serve_refuses_a_database_from_a_newer_version(tmp_path: Path):
    """Input: an upgraded database whose revision is then set to one this version does not
    know, as a newer sourcing would leave it. Expectation: ``sourcing serve`` exits with code 2
    and one line saying what and why (the revision, the newest it knows, what to do), without
    a traceback, before it listens; the database is left as it was."""
    url = old_database(tmp_path)
    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_later'"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCING_")}
    env["SOURCING_API_TOKENS"] = "migration-test-token"
    refused = subprocess.run(
        [sys.executable, "-m", "sourcing.cli", "serve", "--db", url, "--port", "9"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    message = refused.stderr.strip()
    assert message.startswith(f"error: cannot open the database {url}: its schema is at ")
    assert "revision 0099_from_later" in message
    assert f"it knows up to {head()}" in message and "newer sourcing" in message
    assert current(store.engine) == "0099_from_later"
    assert len(store.list(OWNER, None, 10)) == 3
