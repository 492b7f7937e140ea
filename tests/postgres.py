"""A throwaway PostgreSQL server for the tests and the benchmarks: ``initdb`` in a temporary
folder, ``pg_ctl start`` on a free loopback port, ``pg_ctl stop`` at the end.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user (``runuser``), in a folder that user owns. The binaries are looked up
on ``PATH``, then in Debian's ``/usr/lib/postgresql/<version>/bin`` (where the ``postgresql``
package puts them; ``.ci/run`` installs it when missing).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN = "/usr/lib/postgresql/*/bin"


def binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl), or None if this machine has no PostgreSQL server."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for folder in sorted(glob.glob(DEBIAN), key=lambda f: int(Path(f).parent.name), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return str(Path(folder, "initdb")), str(Path(folder, "pg_ctl"))
    return None


def missing_reason() -> str | None:
    """Why no PostgreSQL can be started here, or None if one can."""
    if binaries() is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _has_user("postgres")):
        return "running as root, and there is no 'postgres' user (and runuser) to run PostgreSQL"
    return None


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[str]:
    """A PostgreSQL server until the block ends; yields the URL of its ``postgres`` database
    (``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``, trust authentication)."""
    found = binaries()
    if found is None:
        raise RuntimeError(missing_reason())
    initdb, pg_ctl = found
    # a folder the server's user may write: under /tmp, not under root's pytest folders
    home = Path(tempfile.mkdtemp(prefix="sourcing-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, log = home / "data", home / "server.log"
    subprocess.run(
        _as_server_user([initdb, "-A", "trust", "-U", "postgres", "-D", str(data)]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c max_connections=200"
    started = subprocess.run(
        _as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]),
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start:\n{started.stdout}{_tail(log)}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """A new empty database ``name`` on the server of ``url``; its URL."""
    import psycopg

    server = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


def _tail(log: Path) -> str:
    try:
        return log.read_text()[-2000:]
    except OSError:
        return ""
