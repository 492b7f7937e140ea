"""The HTTP service: thin routes over :func:`sourcing.load` and the job queue.

    POST /v1/solve          solve now (bounded by the server's time limit) and return the plan
    POST /v1/jobs           queue a solve, or a hedge or alternatives: 202 and the job
    GET  /v1/jobs           the caller's jobs, newest first
    GET  /v1/jobs/{id}      one job: status, progress, timings
    GET  /v1/jobs/{id}/plan its plan, once it succeeded
    DELETE /v1/jobs/{id}    cancel it (a running job's solver process is killed)
    POST /v1/validate       check an instance and a model without solving
    GET  /v1/models         the bundled models
    GET  /v1/health         no token needed (HEAD too)
    GET  /docs, /redoc      the API's pages, from the fastapi-offline package (no CDN), and
    GET  /openapi.json      the schema they show: public, as they carry no data

Every other path needs a token, checked from the headers before a body is read (the front door:
:mod:`sourcing.service.gate`). A request's instance and model are loaded and checked here
(invalid input: 422 naming table, row and field; too large: 413 naming the limit) before anything
is queued; the solve itself runs in a solver process (:mod:`sourcing.service.jobs`), whose plan
is stored and served byte for byte.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import make_url

from sourcing.api import load, validate
from sourcing.data.io import MODELS_DIR, available_models, load_model
from sourcing.data.schema import ModelSpec
from sourcing.errors import InputError, Problem, SourcingError
from sourcing.scenarios import apply_scenarios
from sourcing.service.analyses import bundled_scenarios, check_analysis
from sourcing.service.auth import Caller
from sourcing.service.db import (
    CANCELLED,
    JOB,
    QUEUED,
    RUNNING,
    SOLVE,
    SUCCEEDED,
    JobRecord,
    Store,
    now,
)
from sourcing.service.errors import documented, install_handlers
from sourcing.service.gate import ASSETS, Gate
from sourcing.service.jobs import (
    DEADLINE_FACTOR,
    DEADLINE_SLACK,
    Supervisor,
    default_server_id,
)
from sourcing.service.limits import check_size, check_time_limit
from sourcing.service.schemas import (
    HealthOut,
    JobIn,
    JobOut,
    JobsOut,
    PlanOut,
    SolveIn,
    SolveOptions,
    Status,
    ValidateIn,
    ValidateOut,
    job_out,
)
from sourcing.service.settings import Settings
from sourcing.service.worker import model_source, scenario_source

log = logging.getLogger("sourcing.service")

JSON = "application/json"
#: the most bytes of an unfinished request line and headers uvicorn buffers (more: 400)
H11_MAX_HEADERS = 16 * 1024


def create_app(settings: Settings) -> FastAPI:
    """The application, with its database opened and its tokens read (errors raise here, before
    the server listens); the supervisor starts and stops with the application."""
    token_digests = settings.token_digests()
    try:
        store = Store(settings.database_url)
    except Exception as error:  # noqa: BLE001 - a bad URL, a missing driver, no server
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise SourcingError(f"cannot open the database {shown}: {error}") from None
    supervisor = Supervisor(store, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _purge()
        supervisor.start()
        log.info(
            "sourcing service: %d worker(s), database %s",
            settings.workers,
            store.engine.url.render_as_string(hide_password=True),
        )
        yield
        supervisor.stop()

    app = FastAPIOffline(  # /docs and /redoc load Swagger UI and ReDoc from the package
        static_url=ASSETS,
        swagger_ui_parameters={"validatorUrl": None},  # no call to a validator on the web
        title="sourcing",
        version=version("sourcing"),
        description="Least-cost sourcing of critical minerals across processing stages, within "
        "the diversification rules of trade policy. The plan is the one `sourcing solve "
        "--format json` prints for the same instance and model.",
        lifespan=lifespan,
    )
    app.state.token_digests = token_digests
    app.add_middleware(
        Gate,
        token_digests=token_digests,
        max_bytes=settings.max_request_bytes,
        body_timeout=settings.body_timeout,
    )
    install_handlers(app)

    @app.get("/v1/health", response_model=HealthOut, responses=documented(503))
    def health() -> Any:
        """Whether the server and its database answer (no token needed; HEAD answers too)."""
        try:
            store.ping()
            queued = store.count(QUEUED)
        except Exception as error:  # noqa: BLE001 - report, do not crash
            raise HTTPException(503, f"database unavailable: {type(error).__name__}") from None
        return {
            "status": "ok",
            "version": app.version,
            "database": store.engine.dialect.name,
            "workers": {"limit": settings.workers, "busy": supervisor.busy},
            "queued": queued,
        }

    # HEAD as a load balancer's probe asks it (GET's answer without its body); not in the schema
    app.add_api_route("/v1/health", health, methods=["HEAD"], include_in_schema=False)

    @app.get("/v1/models", response_model=list[ModelSpec], responses=documented(401))
    def models(_: Caller) -> Any:
        """The bundled models, by the name to give as `model`."""
        return [load_model(MODELS_DIR / f"{name}.yaml") for name in available_models()]

    @app.post(
        "/v1/validate", response_model=ValidateOut, responses=documented(400, 401, 408, 413, 422)
    )
    def validate_instance(body: ValidateIn, _: Caller) -> Any:
        """Check an instance and a model without solving; consistency warnings are listed
        (errors under `strict`)."""
        loaded, spec, model = _load(body.instance, body.model)
        offers, lanes = check_size(loaded, settings.max_offers, settings.max_lanes)
        warnings = validate(loaded, spec, strict=body.strict)
        return {"valid": True, "warnings": warnings, "offers": offers, "lanes": lanes}

    @app.post(
        "/v1/solve",
        response_model=PlanOut,
        responses={
            200: {"headers": {"Content-Location": {"schema": {"type": "string"}}}},
            **documented(400, 401, 408, 409, 413, 422, 429, 503),
        },
    )
    async def solve(body: SolveIn, owner: Caller) -> Any:
        """Solve now and return the plan, within the server's time limit for this endpoint (an
        infeasible instance gets a plan too: its termination says so and its `infeasibility`
        explains why). The solve is kept as a job of kind `solve`."""
        hint = "; submit a job (POST /v1/jobs) for longer solves"
        limit = check_time_limit(
            body.options.time_limit, settings.solve_time_limit, "solve_time_limit", hint
        )
        job, request = await run_in_threadpool(_prepare, body, owner, SOLVE, limit)
        wait = DEADLINE_FACTOR * limit + DEADLINE_SLACK
        outcome = await supervisor.solve_now(job, request, limit, wait)
        if outcome is None:
            raise HTTPException(
                503,
                "the solve did not finish in time (all workers busy?): retry, or submit a job",
                headers={"Retry-After": str(settings.retry_after)},
            )
        return _outcome(job.id, *outcome)

    @app.post(
        "/v1/jobs",
        response_model=JobOut,
        status_code=status.HTTP_202_ACCEPTED,
        responses={
            202: {"headers": {"Location": {"schema": {"type": "string"}}}},
            **documented(400, 401, 408, 413, 422, 429),
        },
    )
    def submit(body: JobIn, owner: Caller, response: Response) -> Any:
        """Queue a solve, a hedge or alternatives (`analysis`); poll `GET /v1/jobs/{id}` and
        fetch `GET /v1/jobs/{id}/plan` (for an analysis: the command's JSON)."""
        limit = check_time_limit(body.options.time_limit, settings.max_time_limit, "max_time_limit")
        job, request = _prepare(body, owner, JOB, limit)
        job = store.add(job, request)
        supervisor.wake()
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return job_out(job)

    @app.get("/v1/jobs", response_model=JobsOut, responses=documented(401, 422))
    def jobs(
        owner: Caller,
        status: Annotated[Status | None, Query(description="Only jobs in this status.")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    ) -> Any:
        """The caller's jobs, newest first."""
        return {"jobs": [job_out(job) for job in store.list(owner, status, limit)]}

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, responses=documented(401, 404))
    def job(job_id: str, owner: Caller) -> Any:
        """A job's status, progress and timings."""
        return job_out(_own(store, job_id, owner))

    @app.get("/v1/jobs/{job_id}/plan", response_model=PlanOut, responses=documented(401, 404, 409))
    def job_plan(job_id: str, owner: Caller) -> Any:
        """The job's plan (409 until it succeeded); for a hedge or alternatives, that command's
        JSON (`sourcing hedge`/`alternatives --format json`)."""
        found = _own(store, job_id, owner)
        if found.status != SUCCEEDED:
            raise HTTPException(409, f"the job has no plan: it is {found.status}")
        return _plan_response(store, found)

    @app.delete("/v1/jobs/{job_id}", response_model=JobOut, responses=documented(401, 404, 409))
    def cancel(job_id: str, owner: Caller) -> Any:
        """Cancel a queued or running job; a running job's solver process is stopped first."""
        found = _own(store, job_id, owner)
        if found.status == QUEUED and store.move(
            job_id, QUEUED, status=CANCELLED, finished_at=now()
        ):
            log.info("job %s cancelled while queued", job_id)
        found = _own(store, job_id, owner)
        if found.status == RUNNING and not supervisor.cancel(job_id):
            # running on another server: it sees the job cancelled at its next lease renewal
            # and stops the solve
            if store.move(job_id, RUNNING, status=CANCELLED, finished_at=now(), phase=None):
                log.info("job %s cancelled while running on %s", job_id, found.holder)
        found = _own(store, job_id, owner)
        if found.status != CANCELLED:
            raise HTTPException(409, f"the job already {found.status}: nothing to cancel")
        return job_out(found)

    def _purge() -> None:
        """Forget the synchronous solves finished more than ``retain_sync_seconds`` ago: their
        caller had the plan in the answer (at start, and on each new solve)."""
        before = now() - timedelta(seconds=settings.retain_sync_seconds)
        if gone := store.purge(SOLVE, before):
            log.info("deleted %d synchronous solve(s) finished before %s", gone, before)

    def _outcome(
        job_id: str, status: str, plan: str | None, error: dict[str, Any] | None
    ) -> Response:
        """A finished synchronous solve as an answer: its plan, or why there is none."""
        where = {"Content-Location": f"/v1/jobs/{job_id}/plan"}
        if status == SUCCEEDED and plan is not None:
            return Response(plan, media_type=JSON, headers=where)
        error = error or {}
        if error.get("problems"):
            body = {"detail": error["message"], "problems": error["problems"]}
            return JSONResponse(body, status_code=422)
        raise HTTPException(500, error.get("message", "the solve failed"))

    def _prepare(body: SolveIn, owner: str, kind: str, time_limit: float) -> tuple[JobRecord, str]:
        """The request checked (as the command line checks it) and its job, not yet stored;
        the request as the JSON a solver process reads."""
        loaded, spec, model = _load(body.instance, body.model)
        scenario = bundled_scenarios(body.scenario)
        loaded, _ = apply_scenarios(loaded, scenario_source(scenario))  # limits count the result
        check_size(loaded, settings.max_offers, settings.max_lanes)
        if kind == SOLVE:
            _purge()
        if store.count(QUEUED) >= settings.max_queue:
            raise HTTPException(
                429,
                f"the queue is full ({settings.max_queue} jobs waiting, SOURCING_MAX_QUEUE)",
                headers={"Retry-After": str(settings.retry_after)},
            )
        options = SolveOptions(
            time_limit=time_limit, rel_gap=body.options.rel_gap, strict=body.options.strict
        ).model_dump()
        request = {
            "instance": body.instance,
            "model": model,
            "scenario": scenario,
            "options": options,
            "analysis": check_analysis(getattr(body, "analysis", None), scenario),
        }
        try:
            text = json.dumps(request, allow_nan=False)
        except ValueError:  # NaN or Infinity in a field the engine keeps as text
            raise InputError(
                [Problem("request", None, None, "numbers must be finite: NaN is not JSON")]
            ) from None
        job = JobRecord(
            id=uuid.uuid4().hex,
            owner=owner,
            kind=kind,
            status=QUEUED,
            instance=loaded.name[:200],
            model=spec.name[:200],
            options=json.dumps(options),
            attempts=0,
            created_at=now(),
        )
        return job, text

    return app


def _load(instance: Any, model: Any) -> tuple[Any, ModelSpec, Any]:
    """Load and check as the command line does; a model name must be a bundled model's."""
    if not isinstance(instance, dict):
        raise InputError([Problem("instance", None, None, "must be a mapping of keys to values")])
    if isinstance(model, str) and model not in available_models():
        bundled = ", ".join(available_models())
        raise InputError([Problem("model", None, None, f"no bundled model '{model}' ({bundled})")])
    if model is not None and not isinstance(model, (str, dict)):
        raise InputError([Problem("model", None, None, "must be a name or a model document")])
    loaded, spec = load(instance, model_source(model))
    if (isinstance(model, dict) and "extensions" in model) or spec.extensions:
        raise InputError([NO_EXTENSIONS])
    return loaded, spec, model


#: An extension file is code: the server runs none, whoever asks (README, "Service").
NO_EXTENSIONS = Problem(
    "model",
    None,
    "extensions",
    "the service never runs an extension file (it is code): leave 'extensions' out of the "
    "model, or solve with 'sourcing solve --extend FILE.py' on your own machine",
)


def _own(store: Store, job_id: str, owner: str) -> JobRecord:
    """The caller's job; another caller's is as absent as one that never existed."""
    found = store.get(job_id, owner)
    if found is None:
        raise HTTPException(404, "no such job")
    return found


def _plan_response(store: Store, job: JobRecord) -> Response:
    plan = store.plan(job.id)
    if plan is None:  # pragma: no cover - a succeeded job always has its plan
        raise HTTPException(500, "the job's plan is missing")
    return Response(plan, media_type=JSON, headers={"Content-Location": f"/v1/jobs/{job.id}/plan"})


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    db: str | None = None,
    data_dir: Any = None,
) -> None:
    """Run the service under uvicorn until interrupted."""
    import uvicorn

    from sourcing.service.accesslog import Redacted
    from sourcing.service.settings import load_settings

    settings = load_settings(workers=workers, db=db, data_dir=data_dir)
    if settings.server_id is None:
        settings.server_id = default_server_id(port)
    app = create_app(settings)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=5,  # an idle connection is closed 5 s after its last answer
        h11_max_incomplete_event_size=H11_MAX_HEADERS,
        log_level="info",
    )
    # after uvicorn.Config, which sets up uvicorn's loggers
    logging.getLogger("uvicorn.access").addFilter(Redacted(app.state.token_digests))
    uvicorn.Server(config).run()
