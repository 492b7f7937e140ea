"""A planner's own clauses, written in Pyomo and appended to the program (``--extend FILE.py``).

A file defines ``extend(model)``. ``model`` is a Pyomo ``ConcreteModel`` holding the engine's
named variables only (``supply``, ``flow``, ``stage_volume``, ``shortfall``, ``contract``, those
the program has, indexed by the planner's labels as in ``models/README.md``) and ``total_cost``,
an objective to which terms may be added (``model.total_cost.expr += 5 * model.extra``). Its
engine constraints stay the program's arrays: nothing of the formulation is rebuilt in Pyomo. The
variables carry no bounds there (the program keeps them).

``extend`` adds Constraints (and Vars, and objective terms) in plain Pyomo. What it added is
translated with Pyomo's standard representation (``generate_standard_repn``): each Constraint
component becomes one constraint family ``extension:<name>`` of role ``extension``, one row per
index, and each Var component a variable family ``extension:<name>``:

    extension:name[i]   lb_i ≤ Σ_j a_ij x_j ≤ ub_i   the body's constant moved to the bounds

Objective terms go into the cost component ``extension``. The same ``extend`` applied to the full
Pyomo model (:func:`sourcing.build_pyomo`) states the same program: the tests solve both.

A file without ``extend``, an exception raised while loading it or inside ``extend``, a name the
engine's families already use, and a nonlinear expression are input errors naming the file and
the line (the innermost frame of the traceback in the planner's file, or the line that added
the component).
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sourcing.errors import InputError, Problem
from sourcing.model.lp import COST_COMPONENTS, EXTENSION_COST, OPTIONAL_COSTS, LinearProgram
from sourcing.model.pyomo_model import _component_name, _labels

#: the engine's variable families an extension sees, by their names in the docs
ENGINE_VARIABLES = ("supply", "flow", "stage_volume", "shortfall", "contract")
PREFIX = "extension:"
#: the planner's file and line that added a component
Where = Callable[[Any], tuple[Path, int | None]]


def problem(path: Path | str, line: int | None, message: str) -> InputError:
    where = f"{path}, line {line}" if line else str(path)
    return InputError([Problem(where, None, None, message)])


def load_extension(path: str | Path) -> Callable[[Any], Any]:
    """The ``extend`` function the file at ``path`` defines."""
    path = Path(path).resolve()
    if not path.is_file():
        raise problem(path, None, "no such extension file")
    spec = importlib.util.spec_from_file_location(f"sourcing_extension_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise problem(path, None, "not a Python file that can be loaded")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise problem(path, error.lineno, f"syntax error: {error.msg}") from None
    except Exception as error:  # noqa: BLE001 - the planner's code: any exception is input
        raise raised_in(path, error, "loading the file raised") from None
    extend = getattr(module, "extend", None)
    if not callable(extend):
        raise problem(path, None, "defines no function extend(model)")
    return extend


def raised_in(path: Path, error: BaseException, what: str) -> InputError:
    """An exception from the planner's file, at the innermost line of the traceback in it."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    return problem(path, lines[-1] if lines else None, f"{what} {type(error).__name__}: {error}")


def apply_extensions(lp: LinearProgram, paths: Sequence[str | Path]) -> None:
    """Run every file's ``extend`` on one variables-only Pyomo model of ``lp``, in order, and
    append what they added to ``lp`` (role ``extension``)."""
    if not paths:
        return
    files = [Path(p).resolve() for p in paths]
    functions = [load_extension(p) for p in files]
    origin: dict[str, tuple[Path, int | None]] = {}
    model = variables_model(lp, files, origin)
    for path, extend in zip(files, functions, strict=True):
        try:
            extend(model)
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - the planner's code: any exception is input
            raise raised_in(path, error, "extend(model) raised") from None
    translate(lp, model, origin, (files[-1], functions[-1].__code__.co_firstlineno))


def variables_model(
    lp: LinearProgram, files: list[Path], origin: dict[str, tuple[Path, int | None]]
) -> Any:
    """A ``ConcreteModel`` with the engine's named variables of ``lp`` (as the full Pyomo model
    indexes them) and an objective ``total_cost`` of 0; it records, for each component added to
    it, the planner's file and line that added it, and refuses a name the engine uses."""
    import pyomo.environ as pyo

    taken = {_component_name(n) for n in [*lp.variables, *lp.constraints]}
    taken |= {f"cost_{c}" for c in (*COST_COMPONENTS, *OPTIONAL_COSTS)} | {"total_cost"}
    names = {str(f) for f in files}

    pending = {name: block for name in ENGINE_VARIABLES if (block := lp.variables.get(name))}

    def built(model: Any, name: str) -> Any:
        """The engine's family ``name`` as a Pyomo Var, built on first use (a trivial extension
        on lp-100k touches 2,000 supply variables, not 101,000 flows)."""
        block = pending.pop(name)
        binary = block.integer and bool(np.all(block.upper <= 1))
        domain = pyo.Binary if binary else (pyo.Integers if block.integer else pyo.Reals)
        var = pyo.Var(_labels(block.index), domain=domain, dense=True)
        pyo.ConcreteModel.add_component(model, name, var)
        return var

    class Extensible(pyo.ConcreteModel):  # type: ignore[misc, name-defined]
        def __getattr__(self, name: str) -> Any:
            if name in pending:
                return built(self, name)
            return super().__getattr__(name)

        def component(self, name: Any) -> Any:
            if isinstance(name, str) and name in pending:
                return built(self, name)
            return super().component(name)

        def add_component(self, name: str, val: Any) -> None:
            if name in taken:
                raise ValueError(f"'{name}' is the name of one of the engine's families")
            super().add_component(name, val)
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename not in names:
                frame = frame.f_back  # type: ignore[assignment]
            if frame is not None:
                origin[name] = (Path(frame.f_code.co_filename), frame.f_lineno)

    model = Extensible(name="sourcing-extension")
    pyo.ConcreteModel.add_component(model, "total_cost", pyo.Objective(expr=0.0))
    return model


def translate(
    lp: LinearProgram,
    model: Any,
    origin: dict[str, tuple[Path, int | None]],
    fallback: tuple[Path, int | None],
) -> None:
    """Append the Vars, Constraints and objective terms added to ``model`` to ``lp``."""
    import pyomo.environ as pyo

    if not isinstance(model.component("total_cost"), pyo.Objective):
        raise problem(*fallback, "model.total_cost was removed: add terms to its expr instead")

    def where(component: Any) -> tuple[Path, int | None]:
        top = component.name.split(".")[0].split("[")[0]
        return origin.get(top, fallback)

    engine = {name for name in ENGINE_VARIABLES if name in lp.variables}
    logical = list(model.component_objects(pyo.LogicalConstraint, active=True, descend_into=True))
    if logical:
        raise problem(
            *where(logical[0]), f"'{logical[0].name}' is a logical constraint: not linear"
        )
    new_columns: dict[int, int] = {}
    for var in model.component_objects(pyo.Var, descend_into=True):
        if var.name not in engine:
            new_columns.update(_add_variables(lp, var, where))

    def column(v: Any, component: Any) -> int:
        parent = v.parent_component()
        if parent.name in engine and parent.model() is model:
            return lp.variables[parent.name].start + parent.index_set().ord(v.index()) - 1
        if id(v) in new_columns:
            return new_columns[id(v)]
        raise problem(*where(component), f"'{component.name}' uses '{v.name}', not on the model")

    for constraint in model.component_objects(pyo.Constraint, active=True, descend_into=True):
        _add_rows(lp, constraint, where, column)
    _add_objective(lp, model, where, column, fallback)


def _label(key: Any) -> str:
    if key is None:
        return ""
    return ", ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def _add_variables(lp: LinearProgram, var: Any, where: Where) -> dict[int, int]:
    items = list(var.items())
    integer = [v.is_integer() for _, v in items]
    if any(integer) and not all(integer):
        raise problem(*where(var), f"'{var.name}' mixes integer and continuous variables")
    lower = [v.value if v.fixed else (-np.inf if v.lb is None else v.lb) for _, v in items]
    upper = [v.value if v.fixed else (np.inf if v.ub is None else v.ub) for _, v in items]
    index = pd.DataFrame({"index": [_label(k) for k, _ in items]})
    name = PREFIX + var.name
    if name in lp.variables:
        raise problem(*where(var), f"'{var.name}': a variable family of that name exists")
    ids = lp.add_variables(
        name, index, np.array(lower, float), np.array(upper, float), all(integer)
    )
    return {id(v): int(i) for (_, v), i in zip(items, ids, strict=True)}


def _add_rows(lp: LinearProgram, constraint: Any, where: Where, column: Callable) -> None:
    from pyomo.repn import generate_standard_repn

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    labels: list[str] = []
    for key, data in constraint.items():
        if not data.active:
            continue
        repn = generate_standard_repn(data.body, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise problem(
                *where(constraint),
                f"constraint '{data.name}' is not linear: {data.body.to_string()}",
            )
        constant = float(repn.constant)
        for v, coefficient in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            rows.append(len(labels))
            cols.append(column(v, constraint))
            vals.append(float(coefficient))
        lower.append(-np.inf if data.lb is None else float(data.lb) - constant)
        upper.append(np.inf if data.ub is None else float(data.ub) - constant)
        labels.append(_label(key))
    name = PREFIX + constraint.name
    if name in lp.constraints:
        raise problem(*where(constraint), f"'{constraint.name}': a family of that name exists")
    lp.add_constraints(
        name,
        pd.DataFrame({"index": labels}),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals, dtype=float),
        np.array(lower, dtype=float),
        np.array(upper, dtype=float),
        role="extension",
    )


def _add_objective(
    lp: LinearProgram,
    model: Any,
    where: Where,
    column: Callable,
    fallback: tuple[Path, int | None],
) -> None:
    import pyomo.environ as pyo
    from pyomo.repn import generate_standard_repn

    objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if objectives != [model.total_cost] or model.total_cost.sense != pyo.minimize:
        raise problem(
            *fallback,
            "the objective is the engine's cost, minimised: add terms to model.total_cost.expr "
            "rather than declare another objective or change its sense",
        )
    repn = generate_standard_repn(model.total_cost.expr, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise problem(*fallback, "the terms added to model.total_cost are not linear")
    if float(repn.constant) != 0:
        raise problem(
            *fallback,
            f"a constant ({float(repn.constant):g}) added to model.total_cost moves no plan "
            "but would change the reported cost: leave it out",
        )
    if repn.linear_vars:
        cols = np.array([column(v, model.total_cost) for v in repn.linear_vars], dtype=np.int64)
        lp.add_cost(EXTENSION_COST, cols, np.array(repn.linear_coefs, dtype=float))
