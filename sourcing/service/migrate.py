"""The jobs database brought to this version's schema, with Alembic, when a server opens it.

    no tables at all                 every migration runs: the schema is made from them
    tables but no alembic_version    made by the service before it had migrations: recognised
                                     as the base revision (``0001``), then upgraded
    a known revision                 upgraded to the newest (nothing to do if it is there)
    a revision this version lacks    refused (:class:`SchemaTooNew`): a newer ``sourcing``
                                     upgraded it, and this one would misread its jobs

Jobs are kept: migrations add and change columns, they never drop a table with data. Servers
started together on one database take turns: on PostgreSQL under an advisory lock held for
the migration's transaction, on a SQLite file under a lock on a file next to it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from sourcing.errors import SourcingError

MIGRATIONS = Path(__file__).with_name("migrations")
#: the revision of the tables as the service made them before it had migrations
BASE = "0001"
#: any number, the same in every server: the PostgreSQL advisory lock taken while migrating
LOCK_KEY = 7_318_018


class SchemaTooNew(SourcingError):
    """The database was upgraded by a newer ``sourcing``: this one does not know its schema."""


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without a file: the scripts in the package, this connection."""
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.attributes["connection"] = connection
    return settings


def head() -> str:
    """The newest revision this version knows."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None  # the package ships its migrations
    return found


def current(engine: Engine) -> str | None:
    """The database's revision (None: no ``alembic_version``, or it is empty)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to :func:`head` (see the module's table); :class:`SchemaTooNew` if
    a newer version already upgraded it past what this one knows."""
    with _exclusive(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        settings = config(connection)
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None and inspect(connection).has_table("jobs"):
            command.stamp(settings, BASE)  # made before migrations: the base, to upgrade
            revision = BASE
        scripts = ScriptDirectory.from_config(settings)
        known = {script.revision for script in scripts.walk_revisions()}
        if revision is not None and revision not in known:
            newest = head()
            raise SchemaTooNew(
                f"its schema is at revision {revision}, which sourcing {version('sourcing')} "
                f"does not know (it knows up to {newest}): a newer sourcing upgraded it. Run "
                "that version or a newer one on this database, or give this one another "
                "database (--db, SOURCING_DB)"
            )
        command.upgrade(settings, "head")


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """A SQLite file's migration lock (``<file>.migrate-lock``); nothing to hold otherwise."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(Path(database).with_name(Path(database).name + ".migrate-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
