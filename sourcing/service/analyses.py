"""The analyses a job may run instead of a solve: ``hedge`` and ``alternatives`` (POST /v1/jobs
with ``analysis``). Checked here, before the job is queued, as the command line checks them;
run in the solver process (:mod:`sourcing.service.worker`). The result, served at
``GET /v1/jobs/{id}/plan``, is the JSON ``sourcing hedge --format json`` or ``sourcing
alternatives --format json`` prints.

A hedge's scenarios, as everywhere in the service, are bundled scenarios' names or scenario
documents: the server never reads a path a caller names.
"""

from __future__ import annotations

from typing import Any

from sourcing.analysis.hedge_spec import parse_hedge
from sourcing.errors import InputError, Problem
from sourcing.scenarios import SCENARIOS_DIR, available_scenarios


def check_analysis(analysis: Any, scenario: Any) -> dict[str, Any] | None:
    """The request's analysis as the JSON the solver process reads (None: a plain solve)."""
    if analysis is None:
        return None
    document = analysis.model_dump()
    if document["type"] == "sweep":
        return check_sweep(document)
    if document["type"] != "hedge":
        return document
    if scenario:
        message = "a hedge's scenarios go in its hedge document (hedge.scenarios), with their odds"
        raise InputError([Problem("request", None, "scenario", message)])
    spec = parse_hedge(document["hedge"], "hedge")
    for row, entry in enumerate(spec.scenarios, 1):
        try:
            bundled_scenarios(entry.sources)
        except InputError as error:
            message = error.problems[0].message
            raise InputError([Problem("hedge", row, "scenarios.scenario", message)]) from None
    return document


def check_sweep(document: dict[str, Any]) -> dict[str, Any]:
    """A sweep's grid checked as ``sourcing sweep`` checks it (422 naming the field)."""
    from sourcing.analysis.sweep import parse_cuts

    if document["cuts"]:
        parse_cuts(",".join(repr(float(c)) for c in document["cuts"]))
    if document["disrupt"] is not None and not document["cuts"]:
        raise InputError([Problem("sweep", None, "cuts", "disrupt needs cuts")])
    if document["disrupt"] is None and not document["scenarios"]:
        raise InputError([Problem("sweep", None, "disrupt", "nothing to sweep: give disrupt")])
    bundled_scenarios(document["scenarios"])
    return document


def bundled_scenarios(scenario: Any) -> list[Any]:
    """The request's scenarios as a list; a name must be a bundled scenario's (the server never
    reads a path a caller names)."""
    chosen = [] if scenario is None else scenario if isinstance(scenario, list) else [scenario]
    bundled = available_scenarios()
    for number, item in enumerate(chosen, 1):
        if isinstance(item, str) and item not in bundled:
            message = f"no bundled scenario '{item}' ({', '.join(bundled)})"
            raise InputError([Problem("scenario", number, None, message)])
        if not isinstance(item, (str, dict)):
            message = "must be a bundled scenario's name or a scenario document"
            raise InputError([Problem("scenario", number, None, message)])
    return chosen


def run_analysis(
    analysis: dict[str, Any], request: dict[str, Any], model: Any, scenario: Any, progress: Any
) -> tuple[str, dict[str, Any]]:
    """Run the analysis (``model`` and ``scenario`` as the solver process reads them: bundled
    names as paths under models/ and scenarios/); its JSON and the job's summary."""
    import json

    options = request["options"]
    solver = {
        "time_limit": options["time_limit"],
        "rel_gap": options.get("rel_gap"),
        "strict": options.get("strict", False),
    }
    objective: float | None
    if analysis["type"] == "hedge":
        from sourcing.analysis.hedge import hedge

        result = hedge(
            request["instance"],
            model,
            hedge=bundled_hedge(analysis["hedge"]),
            **solver,
            progress=progress,
        )
        document, objective, status = result.to_dict(), result.objective, result.status
    elif analysis["type"] == "sweep":
        return run_sweep(analysis, request, model, scenario, solver, progress)
    else:
        from sourcing.analysis.alternatives import alternatives

        found = alternatives(
            request["instance"],
            model,
            within=analysis["within"],
            count=analysis["count"],
            scenario=scenario,
            **solver,
            progress=progress,
        )
        document, objective = found.to_dict(), found.optimum.objective
        status = found.optimum.solution_status.value
    # a result is held (NoHedge, NoOptimum otherwise): optimal, or feasible within the limits
    summary = {
        "termination_condition": "optimal" if status == "optimal" else "time_limit",
        "solution_status": "optimal" if status == "optimal" else "feasible",
        "objective": objective,
    }
    return json.dumps(document, allow_nan=False), summary


def run_sweep(
    analysis: dict[str, Any],
    request: dict[str, Any],
    model: Any,
    scenario: Any,
    solver: dict[str, Any],
    progress: Any,
) -> tuple[str, dict[str, Any]]:
    """The sweep's table as JSON records (``null`` for no number), on the Dask cluster named by
    SOURCING_DASK_SCHEDULER if the server has one, else in this (the job's) process."""
    import json

    from sourcing.analysis.sweep import sweep
    from sourcing.solver.executor import DaskExecutor, executor_for

    executor = executor_for(1)  # the cluster, if set; one job stays in its process otherwise
    try:
        table = sweep(
            request["instance"],
            model,
            disrupt=analysis["disrupt"],
            cuts=[float(c) for c in analysis["cuts"]],
            scenarios=[_bundled(s) for s in analysis["scenarios"]],
            scenario=scenario,
            executor=executor,
            **solver,
            progress=lambda done, total: progress(f"sweep {done}/{total}"),
        )
    finally:
        if isinstance(executor, DaskExecutor):
            executor.close()
    rows = json.loads(table.to_json(orient="records"))
    document = {
        "instance": table.attrs["instance"],
        "model": table.attrs["model"],
        "base_cost": table.attrs["base_cost"],
        "scenarios": table.attrs["scenarios"],
        "failed": table.attrs["failed"],
        "rows": rows,
    }
    summary = {
        "termination_condition": "optimal",
        "solution_status": "optimal",
        "objective": table.attrs["base_cost"],
    }
    return json.dumps(document, allow_nan=False), summary


def _bundled(scenario: Any) -> Any:
    return str(SCENARIOS_DIR / f"{scenario}.yaml") if isinstance(scenario, str) else scenario


def bundled_hedge(document: dict[str, Any]) -> dict[str, Any]:
    """The hedge document with each scenario name read from ``scenarios/`` only."""

    def source(s: Any) -> Any:
        return str(SCENARIOS_DIR / f"{s}.yaml") if isinstance(s, str) else s

    scenarios = []
    for entry in document.get("scenarios") or []:
        chosen = entry["scenario"]
        chosen = [source(s) for s in chosen] if isinstance(chosen, list) else source(chosen)
        scenarios.append({**entry, "scenario": chosen})
    return {**document, "scenarios": scenarios}
