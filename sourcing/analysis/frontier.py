"""frontier: the cost of tightening a share rule, point by point.

The rule's share σ goes from ``start`` to ``stop`` in ``points`` equal steps. A sweepable rule
(one whose :class:`~sourcing.model.rules.kind.RuleKind` has a ``sweep``) bounds a quantity by σ
times the stage volume V, so σ is the coefficient of V in the rows of one of its families; today
(``sourcing/model/rules/max_country_share.py``, ``sourcing/model/rules/top_share.py``):

    max_country_share[m,t,s,c]   q_mtsc − σ V_mts ≤ 0
    top_share:sum[m,t,s]         k λ_mts + Σ_o μ_o − σ V_mts ≤ 0

The model is built once (with σ = ``start``) and each point changes those coefficients in a
:class:`~sourcing.solver.session.Session` and re-solves from the previous basis. The rule's shadow
price comes from the row duals y_r = ∂cost/∂rhs_r: raising σ by dσ loosens row r by V_r dσ, so

    ∂cost/∂σ = Σ_r y_r V_r,      shadow_price = −Σ_r y_r V_r / 100

is what loosening the cap by one percentage point saves (currency per point of share; for a
MIP, from the LP with the binary choices fixed). Columns: ``share``, ``status``, ``cost``,
``change`` and ``change_pct`` (against the first point), ``max_share`` (the largest country share
of any stage), ``hhi`` (the highest stage HHI) and ``hhi_mean`` (the mean over stages: the
highest often stays at 10,000 where an exempt country supplies a whole stage), ``shadow_price``.
Points where no plan meets the rule are rows with status ``infeasible`` and no cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from sourcing.analysis.common import (
    build_model,
    load_with_scenarios,
    options_of,
    status_of,
)
from sourcing.api import InstanceLike, ModelLike
from sourcing.data.schema import ModelSpec
from sourcing.errors import InputError, Problem
from sourcing.model.build import rule_names
from sourcing.model.rules.kind import RuleKind, Sweep, kind_named, kind_of, kinds
from sourcing.results.plan import shares_of
from sourcing.scenarios import ScenariosLike
from sourcing.solver.block_session import open_session


def sweepable() -> dict[str, Sweep]:
    """Rule type -> how the frontier sweeps it, for every rule that can be swept."""
    return {kind.name: kind.sweep for kind in kinds() if kind.sweep is not None}


def __getattr__(name: str) -> dict[str, str]:
    """``SWEEPABLE`` (rule type -> its σ·V family suffix), as before rules were objects."""
    if name == "SWEEPABLE":
        return {kind: sweep.suffix for kind, sweep in sweepable().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def frontier(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    rule: str = "max_country_share",
    start: float = 1.0,
    stop: float = 0.4,
    points: int = 10,
    scenario: ScenariosLike = None,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The frontier table; see the module docstring. ``progress`` is called with each point's
    share before it is solved.

    ``rule`` is a rule's name in the model or its type; a type the model does not use
    (``max_country_share``) is added, applying to every mineral, stage and country.
    """
    _check_range(start, stop, points)
    started = time.perf_counter()
    loaded, spec, warnings = load_with_scenarios(instance, model, scenario)
    swept, family, kind = _with_share(spec, list(loaded.rules), rule, start)
    built = build_model(loaded, swept, warnings, strict)
    rows, cols = _share_entries(built.lp, family, kind)
    session = open_session(built.lp, options_of(time_limit, rel_gap, threads))
    records = []
    for i, share in enumerate(np.round(np.linspace(start, stop, points), 12)):
        if progress is not None:
            progress(f"share {share:g} ({i + 1}/{points})")
        if i:
            session.set_coefficients(rows, cols, -share)
        raw = session.solve()
        record = {"share": float(share), "status": status_of(raw)}
        if raw.x is not None and raw.objective is not None:
            priced = session.price(raw)
            _, shares = shares_of(
                built.data, built.network, raw.x, raw.scaling
            )  # the plan's concentration
            record |= {
                "cost": raw.objective,
                "max_share": float(shares["max_share"].max()) if len(shares) else np.nan,
                "hhi": float(shares["hhi"].max()) if len(shares) else np.nan,
                "hhi_mean": float(shares["hhi"].mean()) if len(shares) else np.nan,
                "shadow_price": _shadow_price(priced, rows, cols),
            }
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    for column in ("cost", "max_share", "hhi", "hhi_mean", "shadow_price"):
        if column not in frame:
            frame[column] = np.nan
    first = frame["cost"].iloc[0]
    frame["change"] = frame["cost"] - first
    frame["change_pct"] = frame["change"] / first if first else np.nan
    frame = frame[
        ["share", "status", "cost", "change", "change_pct", "max_share", "hhi", "hhi_mean"]
        + ["shadow_price"]
    ]
    frame.attrs.update(
        instance=loaded.name,
        model=spec.name,
        rule=family.removesuffix(sweepable()[kind].suffix),
        rule_type=kind,
        currency=loaded.currency,
        unit=loaded.unit,
        warnings=built.warnings,
        resolves=session.solves - 1,
        seconds={**session.seconds, "total": time.perf_counter() - started},
    )
    return frame


def _check_range(start: float, stop: float, points: int) -> None:
    problems = [
        Problem("frontier", None, field, f"must be a share between 0 and 1, got {value:g}")
        for field, value in (("from", start), ("to", stop))
        if not 0 <= value <= 1
    ]
    if points < 2:
        problems.append(Problem("frontier", None, "points", "must be at least 2"))
    if problems:
        raise InputError(problems)


def _with_share(
    spec: ModelSpec, instance_rules: list, rule: str, share: float
) -> tuple[ModelSpec, str, str]:
    """The model with the swept rule's share set to ``share``; its constraint family and type.

    The rule is found by its label (``name``, or its type numbered when repeated), else by its
    type when the model has exactly one; a max_country_share the model lacks is added.
    """
    rules = list(spec.rules)
    labels = rule_names(rules + instance_rules)[: len(rules)]
    found = [i for i, label in enumerate(labels) if label == rule]
    if not found:
        found = [i for i, r in enumerate(rules) if r.rule == rule]
    if len(found) > 1:
        named = ", ".join(labels[i] for i in found)
        raise InputError(
            [
                Problem(
                    "frontier",
                    None,
                    "rule",
                    f"the model has several {rule} rules ({named}): name one",
                )
            ]
        )
    if found:
        i = found[0]
        sweep = kind_of(rules[i]).sweep
        if sweep is None:
            raise InputError([_not_sweepable(rules[i].rule)])
        rules[i] = rules[i].model_copy(update={sweep.field: share})
    else:
        known_kind = kind_named(rule)
        sweep = known_kind.sweep if known_kind is not None else None
        if known_kind is not None and sweep is not None and sweep.everywhere is not None:
            rules.append(sweep.everywhere(share))
            i = len(rules) - 1
        elif known_kind is not None and sweep is not None:
            raise InputError(
                [
                    Problem(
                        "frontier",
                        None,
                        "rule",
                        f"the model has no {rule} rule: add one "
                        f"{_with_its(known_kind, sweep)}to the model file and sweep it by name",
                    )
                ]
            )
        else:
            known = ", ".join(labels) or "none"
            added = " or ".join(k for k, s in sweepable().items() if s.everywhere is not None)
            raise InputError(
                [
                    Problem(
                        "frontier",
                        None,
                        "rule",
                        f"no rule '{rule}' in model '{spec.name}' "
                        f"(its rules: {known}); or give {added} to add one",
                    )
                ]
            )
    label = rule_names(rules + instance_rules)[i]
    swept = spec.model_copy(update={"rules": rules})
    return swept, label + sweepable()[rules[i].rule].suffix, rules[i].rule


def _with_its(kind: RuleKind, sweep: Sweep) -> str:
    """'(with its k) ': the parameters a sweep cannot guess (required, other than σ)."""
    fields = [
        name
        for name, field in kind.spec.model_fields.items()
        if field.is_required() and name not in ("rule", sweep.field)
    ]
    return f"(with its {', '.join(fields)}) " if fields else ""


def _not_sweepable(kind: str) -> Problem:
    return Problem(
        "frontier",
        None,
        "rule",
        f"a frontier sweeps the share of a {' or '.join(sweepable())} rule, not {kind}",
    )


def _share_entries(lp, family: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The (row, column) of σ's coefficient in every row of the rule: its stage-volume entry."""
    block = lp.constraints.get(family)
    volume = lp.variables["stage_volume"]
    if block is None or len(block.index) == 0:
        raise InputError(
            [Problem("frontier", None, "rule", f"the {kind} rule selects nothing in this instance")]
        )
    on_volume = (block.cols >= volume.start) & (block.cols < volume.start + len(volume.index))
    return block.rows[on_volume], block.cols[on_volume]


def _shadow_price(priced, rows: np.ndarray, cols: np.ndarray) -> float:
    if priced.row_dual is None or priced.x is None:
        return np.nan
    return float(-(priced.row_dual[rows] @ priced.x[cols]) / 100.0) + 0.0  # no -0.0
