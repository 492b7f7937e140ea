"""What comes in and what goes out, named by direction (``SolveIn``, ``JobOut``, ``PlanOut``).

The bodies are the engine's own pydantic models: an instance is :class:`sourcing.Instance`, a
model is a bundled model's name or a :class:`sourcing.ModelSpec`, and a plan is
:class:`sourcing.Plan` as ``Plan.to_dict`` writes it (its tables as lists of records). The
instance and the model are *documented* with the engine's schema but validated by the engine
itself (``sourcing.load``), so a bad cell is reported as on the command line: by table, row and
field, every problem at once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    StrictBool,
    StrictFloat,
    StrictInt,
    create_model,
)

from sourcing.data.schema import Instance, ModelSpec
from sourcing.results.plan import Plan
from sourcing.service.db import STATUSES, JobRecord, as_utc, now

Status = Literal[STATUSES]  # type: ignore[valid-type]


class SolveOptions(BaseModel):
    """The solver's options, taken as given: a number must be a JSON number and a switch a JSON
    boolean (``"5"``, ``true`` as a time limit or ``"yes"`` as ``strict`` are refused, naming the
    field, never read as 5 s, 1 s or true)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    time_limit: StrictFloat | None = Field(
        default=None,
        gt=0,
        description="Seconds the solver may run; absent: the server's limit for this endpoint.",
    )
    rel_gap: StrictFloat | None = Field(
        default=None, ge=0, le=1, description="Relative MIP gap at which to stop."
    )
    strict: StrictBool = Field(default=False, description="Treat consistency warnings as errors.")


class SolveIn(BaseModel):
    """An instance, a model and the solver's options."""

    model_config = ConfigDict(extra="forbid")

    instance: SkipValidation[Instance] = Field(
        description="The instance document: the instance.yaml keys plus one list of records per "
        "table (`sourcing schema instance`)."
    )
    model: str | SkipValidation[ModelSpec] | None = Field(
        default=None,
        description="A bundled model's name (GET /v1/models) or a model document; "
        "absent: least-cost.",
    )
    scenario: list[str | dict[str, Any]] | str | dict[str, Any] | None = Field(
        default=None,
        description="Scenarios applied to the data before solving, in order: a bundled "
        "scenario's name (`sourcing scenarios`, e.g. cn-gallium-germanium-2023) or a scenario "
        "document (`sourcing schema scenario`), or a list of them.",
    )
    options: SolveOptions = Field(default_factory=SolveOptions)


class HedgeJob(BaseModel):
    """``sourcing hedge``: the hedge document as a hedge file holds it (its scenarios: bundled
    names or scenario documents)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["hedge"]
    hedge: dict[str, Any] = Field(
        description="reservation_fee, spot_premium, optional risk {cvar_alpha, weight}, and "
        "scenarios [{scenario, probability}] (the base takes the rest)."
    )


class AlternativesJob(BaseModel):
    """``sourcing alternatives``: plans within (1 + within) × the optimum's cost."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    type: Literal["alternatives"]
    within: StrictFloat = Field(default=0.05, ge=0, description="0.05: at most 5% dearer.")
    count: StrictInt = Field(default=5, ge=1, le=20, description="How many to look for.")


class SweepJob(BaseModel):
    """``sourcing sweep``: each mineral's ``disrupt`` largest suppliers cut by each of ``cuts``,
    and each of ``scenarios`` (bundled names or documents); on the Dask cluster of the setting
    SOURCING_DASK_SCHEDULER when the server has one, else in the job's process."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    type: Literal["sweep"]
    disrupt: StrictInt | None = Field(
        default=None, ge=1, le=50, description="top:K: each mineral's K largest suppliers."
    )
    cuts: list[StrictFloat | StrictInt] = Field(
        default_factory=list, max_length=20, description="Fractions of capacity lost, in (0, 1]."
    )
    scenarios: list[str | dict[str, Any]] = Field(
        default_factory=list, max_length=100, description="Scenarios added as rows, as is."
    )


class JobIn(SolveIn):
    """A solve, or with ``analysis`` a hedge, alternatives or a sweep: the job's result (at
    ``/v1/jobs/{id}/plan``) is then that command's JSON instead of a plan."""

    analysis: (
        Annotated[HedgeJob | AlternativesJob | SweepJob, Field(discriminator="type")] | None
    ) = None


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: SkipValidation[Instance]
    model: str | SkipValidation[ModelSpec] | None = None
    strict: StrictBool = Field(default=False, description="Treat consistency warnings as errors.")


class ValidateOut(BaseModel):
    valid: bool
    warnings: list[str]
    offers: int
    lanes: int = Field(description="Candidate lanes, as counted for the server's lane limit.")


class ProblemOut(BaseModel):
    """One thing wrong with the input, located as in the command line's message."""

    table: str
    row: int | None
    field: str | None
    message: str


class LimitOut(BaseModel):
    name: str = Field(description="The limit, as named in the server's settings.")
    setting: str = Field(description="The environment variable that sets it.")
    limit: float
    actual: float | None = None


class ErrorOut(BaseModel):
    """Every error: what went wrong, and the input problems or the limit behind it."""

    detail: str
    problems: list[ProblemOut] = Field(default_factory=list)
    limit: LimitOut | None = None


class Progress(BaseModel):
    phase: str | None = Field(
        description="The engine phase running now: load, index, check, build, solve, duals, "
        "extract or explain; null while queued and once finished (a failed job's `error.phase` "
        "says where it failed)."
    )
    attempts: int = Field(description="Times the job was started (a restart re-queues it).")


class Timings(BaseModel):
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queued_seconds: float | None
    run_seconds: float | None


class JobError(BaseModel):
    message: str
    problems: list[ProblemOut] = Field(default_factory=list)
    phase: str | None = Field(
        default=None,
        description="The engine phase the job failed in; null if it failed before the engine "
        "started (e.g. the server stopped while it was queued).",
    )


class JobOut(BaseModel):
    id: str
    kind: Literal["job", "solve"] = Field(description="'solve': a POST /v1/solve.")
    status: Status
    instance: str
    model: str
    options: SolveOptions
    progress: Progress
    timings: Timings
    termination_condition: str | None = None
    solution_status: str | None = None
    objective: float | None = None
    error: JobError | None = None
    note: str | None = None


class JobsOut(BaseModel):
    jobs: list[JobOut]


class Workers(BaseModel):
    limit: int
    busy: int


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    database: str
    workers: Workers
    queued: int


def job_out(job: JobRecord) -> dict[str, Any]:
    """A job record as :class:`JobOut`: its progress and its timings so far."""
    created, started = as_utc(job.created_at), as_utc(job.started_at)
    finished = as_utc(job.finished_at)
    moment = now()
    assert created is not None
    queued_until = started or finished or moment
    run_seconds = None
    if started is not None:
        run_seconds = ((finished or moment) - started).total_seconds()
    error = json.loads(job.error) if job.error else None
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "instance": job.instance,
        "model": job.model,
        "options": json.loads(job.options),
        "progress": {"phase": job.phase, "attempts": job.attempts},
        "timings": {
            "created_at": created,
            "started_at": started,
            "finished_at": finished,
            "queued_seconds": max(0.0, (queued_until - created).total_seconds()),
            "run_seconds": run_seconds,
        },
        "termination_condition": job.termination_condition,
        "solution_status": job.solution_status,
        "objective": job.objective,
        "error": error,
        "note": job.note,
    }


def _plan_out() -> type[BaseModel]:
    """The plan's JSON, field for field from :class:`sourcing.Plan` (a table: a list of rows)."""
    fields: dict[str, Any] = {}
    for name, info in Plan.model_fields.items():
        kind = info.annotation
        if kind is pd.DataFrame:
            kind = list[dict[str, Any]]
        fields[name] = (kind, Field(description=info.description))
    return create_model("PlanOut", __doc__=Plan.__doc__, **fields)


PlanOut = _plan_out()
