"""What runs in a solver process: one job, start to finish, through :func:`sourcing.solve`.

The web process never solves. The supervisor (:mod:`sourcing.service.jobs`) starts one process
per queued job (:func:`run`) from a fork server that has already imported the engine (pandas,
numpy, highspy), so a job starts in milliseconds, and stops a job by killing its process; a
synchronous solve goes to a warm process (:func:`serve`, :mod:`sourcing.service.warm`) that
solves one request after another. Either talks back over a pipe:

    ("phase", "solve")                       each engine phase as it starts (the job's progress)
    ("plan", plan_json, summary)             the plan, exactly as ``sourcing solve --format json``
    ("failed", {"message", "problems"})      invalid input (problems by table, row, field) or a bug

It also holds the read end of a *lifeline* pipe whose write end only the server holds: if the
server dies (even by ``kill -9``) the pipe reads end-of-file and the process exits at once, so
no orphaned solve keeps burning a core; the job is re-queued when the server starts again.
Whatever the process is doing when its server dies, it leaves quietly with :data:`ORPHANED`: a
message it can no longer send (the results pipe is broken) ends it the same way, where it would
otherwise print a traceback into the server's log for a failure that is nobody's.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sourcing.api import solve
from sourcing.data.io import MODELS_DIR
from sourcing.data.starter import TEMPLATE
from sourcing.errors import InputError, SourcingError
from sourcing.scenarios import SCENARIOS_DIR

#: exit status of a solver process whose server went away
ORPHANED = 70


def run(request_json: str, results: Connection, lifeline: Connection) -> None:
    """Solve the request (``{"instance", "model", "options"}``) and send the outcome."""
    # Ctrl-C in a terminal reaches the whole process group: the server decides what becomes of
    # the job (it re-queues it), so the solver process ignores it and waits to be stopped
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_server, args=(lifeline,), daemon=True).start()
    _solve(request_json, results)


def serve(tasks: Connection, results: Connection, lifeline: Connection) -> None:
    """A warm solver process: solve each request received on ``tasks``, one at a time, until
    the server goes (the server kills it to stop a solve, and starts another in its place).
    One warm-up solve of the starter instance first loads what the engine imports lazily."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_server, args=(lifeline,), daemon=True).start()
    try:
        solve(Path(str(TEMPLATE)), Path(str(TEMPLATE / "model.yaml")))
    except Exception:  # noqa: BLE001 - a warm-up only: the first real solve reports any error
        pass
    gc.freeze()  # the imported engine is never collected: keep it out of every collection
    while True:
        try:
            request_json = tasks.recv()
        except (EOFError, OSError):  # the server is gone
            os._exit(ORPHANED)
        _solve(request_json, results)


def _solve(request_json: str, results: Connection) -> None:
    def send(message: tuple[Any, ...]) -> None:
        try:
            results.send(message)
        except OSError:  # BrokenPipeError, ConnectionResetError: the server is gone
            os._exit(ORPHANED)

    request = json.loads(request_json)
    options = request["options"]
    if request.get("analysis"):  # hedge or alternatives (sourcing.service.analyses)
        _analyse(request, send)
        return
    try:
        plan = solve(
            request["instance"],
            model_source(request.get("model")),
            scenario=scenario_source(request.get("scenario")),
            time_limit=options["time_limit"],
            rel_gap=options.get("rel_gap"),
            strict=options.get("strict", False),
            progress=lambda phase: send(("phase", phase)),
        )
    except InputError as error:
        send(("failed", {"message": "invalid input", "problems": problems(error)}))
        return
    except Exception as error:  # noqa: BLE001 - reported on the job, the server lives on
        traceback.print_exc()
        message = f"internal error: {type(error).__name__}: {error}"
        send(("failed", {"message": message, "problems": []}))
        return
    summary = {
        "termination_condition": plan.termination_condition.value,
        "solution_status": plan.solution_status.value,
        "objective": plan.objective,
    }
    send(("plan", plan.to_json(indent=None), summary))


def _analyse(request: dict[str, Any], send: Any) -> None:
    from sourcing.service.analyses import run_analysis

    try:
        result, summary = run_analysis(
            request["analysis"],
            request,
            model_source(request.get("model")),
            scenario_source(request.get("scenario")),
            lambda phase: send(("phase", phase[:32])),  # the phase column holds 32 characters
        )
    except InputError as error:
        send(("failed", {"message": "invalid input", "problems": problems(error)}))
        return
    except SourcingError as error:  # no hedged plan, no optimum: said in the planner's words
        send(("failed", {"message": str(error), "problems": []}))
        return
    except Exception as error:  # noqa: BLE001 - reported on the job, the server lives on
        traceback.print_exc()
        message = f"internal error: {type(error).__name__}: {error}"
        send(("failed", {"message": message, "problems": []}))
        return
    send(("plan", result, summary))


def model_source(model: str | dict[str, Any] | None) -> Any:
    """A bundled model by name is read from ``models/`` only, never from a path a caller names
    (the service checked the name is bundled)."""
    if isinstance(model, str):
        return MODELS_DIR / f"{model}.yaml"
    return model


def scenario_source(scenarios: list[Any] | None) -> list[Any] | None:
    """Bundled scenarios by name are read from ``scenarios/`` only (the service checked them)."""
    if not scenarios:
        return None
    return [SCENARIOS_DIR / f"{s}.yaml" if isinstance(s, str) else s for s in scenarios]


def problems(error: InputError) -> list[dict[str, Any]]:
    return [
        {"table": p.table, "row": p.row, "field": p.field, "message": p.message}
        for p in error.problems
    ]


def _exit_with_server(lifeline: Connection) -> None:
    try:
        lifeline.recv_bytes()
    except (EOFError, OSError):
        pass
    os._exit(ORPHANED)
