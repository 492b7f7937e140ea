"""Jobs and plans in a real database, through SQLAlchemy: SQLite by default, PostgreSQL by URL.

Two tables: ``jobs`` (who asked, what, its state, progress and timings; the request itself is
kept so a job can be run again after a restart) and ``plans`` (the plan's JSON, exactly as
``sourcing solve --format json`` prints it). A job moves

    queued ─▶ running ─▶ succeeded | failed        queued | running ─▶ cancelled

and every move is one conditional ``UPDATE ... WHERE status = <from>``, so two actors (the
supervisor finishing a job, a caller cancelling it) can never both win.

Several servers may share one database (PostgreSQL). A server claims a queued job with
``SELECT ... FOR UPDATE SKIP LOCKED`` (each job goes to exactly one server; SQLite, which has one
writer at a time, ignores the clause and the conditional ``UPDATE`` decides) and holds it under a
*lease*: its name in ``holder`` and a time in ``lease_until`` that it keeps pushing forward while
the solve runs. A running job whose lease has run out lost its server; any server re-queues it
(:meth:`Store.expired`, then a move that checks the lease is still out and the holder unchanged).
A server only records the outcome of a job it still holds.

The owner of a job is the SHA-256 of the caller's token (hex), never the token.
"""

from __future__ import annotations

import builtins
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import EllipsisType
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    case,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, deferred, mapped_column

from sourcing.service.behind import WriteBehind

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
#: ``kind`` of a job: submitted to the queue, or a synchronous ``POST /v1/solve``
JOB, SOLVE = "job", "solve"


class Base(DeclarativeBase):
    pass


class JobRecord(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    instance: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    #: {"instance": ..., "model": ..., "options": ...} as JSON, the options with their effective
    #: time limit: what the worker runs
    request: Mapped[str] = deferred(mapped_column(Text))
    options: Mapped[str] = mapped_column(Text)
    phase: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    termination_condition: Mapped[str | None] = mapped_column(String(32), default=None)
    solution_status: Mapped[str | None] = mapped_column(String(32), default=None)
    objective: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: the server running it (its ``server_id``) and until when its hold lasts unless renewed
    holder: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class PlanRecord(Base):
    __tablename__ = "plans"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    plan: Mapped[str] = mapped_column(Text)


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def connect(url: str) -> Engine:
    """An engine for ``url``; a SQLite file is created under its folder, in WAL mode (readers
    never wait for the writer) with a busy timeout instead of 'database is locked'."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _moment(moment: datetime) -> float:
    return (as_utc(moment) or moment).timestamp()


class Store(WriteBehind):
    """Every read and write of jobs and plans; each method is one short transaction."""

    def __init__(self, url: str):
        from sourcing.service.migrate import upgrade  # its Alembic environment imports Base

        self.engine = connect(url)
        upgrade(self.engine)
        self._start_writer(JobRecord, PlanRecord)

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def add(self, job: JobRecord, request: str) -> JobRecord:
        job.request = request
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(job)
            session.commit()
        return job

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        if (held := self._held(job_id)) is not None:
            return held[0] if owner is None or held[0].owner == owner else None
        query = select(JobRecord).where(JobRecord.id == job_id)
        if owner is not None:
            query = query.where(JobRecord.owner == owner)
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(query).first()

    def list(self, owner: str, status: str | None, limit: int) -> list[JobRecord]:
        query = select(JobRecord).where(JobRecord.owner == owner)
        if status is not None:
            query = query.where(JobRecord.status == status)
        query = query.order_by(JobRecord.created_at.desc(), JobRecord.id).limit(limit)
        with self._pending_lock:
            held = [
                job
                for job, _ in self._pending.values()
                if job.owner == owner and (status is None or job.status == status)
            ]
        with Session(self.engine, expire_on_commit=False) as session:
            stored = list(session.scalars(query))
        if not held:
            return stored
        found = {job.id: job for job in [*stored, *held]}  # held: not yet written, or just
        newest = sorted(found.values(), key=lambda j: (-_moment(j.created_at), j.id))
        return newest[:limit]

    def count(self, status: str) -> int:
        query = select(func.count()).select_from(JobRecord).where(JobRecord.status == status)
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def plan(self, job_id: str) -> str | None:
        if (held := self._held(job_id)) is not None:
            return held[1]
        with Session(self.engine) as session:
            return session.scalar(select(PlanRecord.plan).where(PlanRecord.job_id == job_id))

    def claim_next(self, holder: str, lease: float) -> tuple[str, str, float] | None:
        """Mark the next queued job running, held by ``holder`` for ``lease`` seconds, and return
        (id, request JSON, time limit): a synchronous solve ``holder`` took first (its caller is
        waiting on this server), then the oldest job. Another server's synchronous solves are
        never taken."""
        order = (case((JobRecord.kind == SOLVE, 0), else_=1), JobRecord.created_at, JobRecord.id)
        mine = or_(JobRecord.kind == JOB, JobRecord.holder == holder)
        with Session(self.engine) as session:
            while True:
                found = session.execute(
                    select(JobRecord.id, JobRecord.request, JobRecord.options)
                    .where(JobRecord.status == QUEUED, mine)
                    .order_by(*order)
                    .limit(1)
                    .with_for_update(skip_locked=True)  # PostgreSQL: another server skips it
                ).first()
                if found is None:
                    return None
                moment = now()
                claimed = session.execute(
                    update(JobRecord)
                    .where(JobRecord.id == found.id, JobRecord.status == QUEUED)
                    .values(
                        status=RUNNING,
                        started_at=moment,
                        phase=None,
                        attempts=JobRecord.attempts + 1,
                        holder=holder,
                        lease_until=moment + timedelta(seconds=lease),
                    )
                )
                session.commit()
                # an UPDATE's result is a CursorResult, typed as the Result it derives from
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return found.id, found.request, json.loads(found.options)["time_limit"]

    def renew(self, holder: str, ids: builtins.list[str], lease: float) -> set[str]:
        """Push the leases of ``holder``'s running jobs ``ids`` ``lease`` seconds from now;
        those it still holds (another server may have cancelled one)."""
        if not ids:
            return set()
        mine = (JobRecord.id.in_(ids), JobRecord.status == RUNNING, JobRecord.holder == holder)
        with Session(self.engine) as session:
            session.execute(
                update(JobRecord).where(*mine).values(lease_until=now() + timedelta(seconds=lease))
            )
            held = set(session.scalars(select(JobRecord.id).where(*mine)))
            session.commit()
            return held

    def expired(
        self, holder: str | None = None
    ) -> builtins.list[tuple[str, str, int, str | None, str | None]]:
        """(id, kind, attempts, phase, holder) of the running jobs whose lease ran out (or that
        never had one: written by a version without leases), and, given ``holder``, of every
        running job it holds whatever its lease (a restarted server takes back its own)."""
        lapsed = or_(JobRecord.lease_until.is_(None), JobRecord.lease_until < now())
        if holder is not None:
            lapsed = or_(lapsed, JobRecord.holder == holder)
        query = select(
            JobRecord.id, JobRecord.kind, JobRecord.attempts, JobRecord.phase, JobRecord.holder
        ).where(JobRecord.status == RUNNING, lapsed)
        with Session(self.engine) as session:
            return [(r.id, r.kind, r.attempts, r.phase, r.holder) for r in session.execute(query)]

    def move(
        self,
        job_id: str,
        start: str | tuple[str, ...],
        held_by: str | None | EllipsisType = ...,
        **values: Any,
    ) -> bool:
        """Set ``values`` on the job if its status is (one of) ``start`` and, given ``held_by``,
        its holder is that (``None``: no holder); True if it was."""
        starts = (start,) if isinstance(start, str) else start
        query = update(JobRecord).where(JobRecord.id == job_id, JobRecord.status.in_(starts))
        if not isinstance(held_by, EllipsisType):
            query = query.where(
                JobRecord.holder.is_(None) if held_by is None else JobRecord.holder == held_by
            )
        with Session(self.engine) as session:
            done = session.execute(query.values(**values))
            session.commit()
            return done.rowcount == 1  # type: ignore[attr-defined]  # a CursorResult, as above

    def finish(
        self, job_id: str, holder: str, status: str, plan: str | None = None, **values: Any
    ) -> bool:
        """The outcome of a running job ``holder`` still holds, and its plan, in one transaction
        (a server whose lease ran out, its job re-queued, records nothing)."""
        with Session(self.engine) as session:
            done = session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == RUNNING)
                .where(JobRecord.holder == holder)
                .values(status=status, finished_at=now(), phase=None, **values)
            )
            if done.rowcount == 1 and plan is not None:  # type: ignore[attr-defined]  # as above
                session.add(PlanRecord(job_id=job_id, plan=plan))
            session.commit()
            return done.rowcount == 1  # type: ignore[attr-defined]  # a CursorResult, as above

    def take_back(self, job_id: str, held_by: str | None, own: bool, **values: Any) -> bool:
        """Set ``values`` on a running job still held by ``held_by`` if its lease ran out (or,
        ``own``: whatever its lease, as a restarted server takes back its own); True if so."""
        held = JobRecord.holder.is_(None) if held_by is None else JobRecord.holder == held_by
        query = update(JobRecord).where(JobRecord.id == job_id, JobRecord.status == RUNNING, held)
        if not own:
            query = query.where(or_(JobRecord.lease_until.is_(None), JobRecord.lease_until < now()))
        with Session(self.engine) as session:
            done = session.execute(query.values(**values))
            session.commit()
            return done.rowcount == 1  # type: ignore[attr-defined]  # a CursorResult, as above

    def ids(
        self, status: str, kind: str | None = None
    ) -> builtins.list[tuple[str, str, int, str | None]]:  # Store.list shadows the builtin
        """(id, kind, attempts, phase) of the jobs in ``status``."""
        query = select(JobRecord.id, JobRecord.kind, JobRecord.attempts, JobRecord.phase).where(
            JobRecord.status == status
        )
        if kind is not None:
            query = query.where(JobRecord.kind == kind)
        with Session(self.engine) as session:
            return [(r.id, r.kind, r.attempts, r.phase) for r in session.execute(query)]

    def purge(self, kind: str, before: datetime) -> int:
        """Delete the finished jobs of ``kind`` that finished before ``before``, with their
        plans, in one transaction; how many went."""
        old = (
            select(JobRecord.id)
            .where(JobRecord.kind == kind, JobRecord.status.in_(FINISHED))
            .where(JobRecord.finished_at < before)
        )
        with Session(self.engine) as session:
            ids = list(session.scalars(old))
            for start in range(0, len(ids), 500):  # bounded IN lists
                batch = ids[start : start + 500]
                session.execute(delete(PlanRecord).where(PlanRecord.job_id.in_(batch)))
                session.execute(delete(JobRecord).where(JobRecord.id.in_(batch)))
            session.commit()
            return len(ids)
