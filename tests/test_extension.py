"""A planner's own clauses in Pyomo (``--extend FILE.py``, issue 19), appended to the fast path.

The gallium case (``examples/extensions/``): one stage, refining, 100 t of hard demand, and four
refiners:

    country  capacity  price
    CHN      1000 t    100 USD/t
    KAZ        50 t    130
    DEU        30 t    150
    JPN       100 t    170

Least cost buys all 100 t from China: 10,000 USD. The company's clause "China and Kazakhstan
together at most 60 t" (``china-kazakhstan-cap.py``) takes 40 t away from the cheapest source.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sourcing
from sourcing.data.io import load_model, with_extensions
from sourcing.model.extension import load_extension
from sourcing.model.pyomo_model import solve_pyomo
from tests.conftest import INSTANCES, ROOT

EXAMPLE = ROOT / "examples" / "extensions"
GALLIUM = EXAMPLE / "gallium.yaml"
CAP = EXAMPLE / "china-kazakhstan-cap.py"


def capped(*files: Path | str, model: object = None) -> sourcing.ModelSpec:
    return with_extensions(load_model(model), [str(f) for f in files])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_the_gallium_cap_moves_40_t_from_china_to_germany_and_japan():
    """CHN + KAZ ≤ 60 t. The 60 t go to the cheaper of the two, China at 100 (Kazakhstan at 130
    would only cost more within the same cap): CHN 60, KAZ 0. The other 40 t come from outside
    the cap, cheapest first: Germany's 30 t at 150, then 10 t from Japan at 170.

        cost = 60 × 100 + 30 × 150 + 10 × 170 = 6,000 + 4,500 + 1,700 = 12,200 USD

    Unique: any tonne moved from CHN to KAZ costs 30 more; any tonne of JPN replaced by DEU is
    impossible (DEU is full). The cap's price: one more tonne under it buys a tonne from China
    (100) instead of the marginal tonne from Japan (170), saving 70 USD; its dual, a ≤ row's, is
    −70. Germany's capacity is worth 170 − 150 = 20 per tonne.
    """
    plan = sourcing.solve(GALLIUM, capped(CAP))
    assert plan.objective == pytest.approx(12_200)
    bought = dict(zip(plan.shares["country"], plan.shares["quantity"], strict=True))
    assert bought == pytest.approx({"CHN": 60, "DEU": 30, "JPN": 10})
    [row] = plan.duals["rules"].to_dict("records")
    assert (row["rule"], row["constraint"]) == ("extension", "china_kazakhstan_cap")
    assert row["price"] == pytest.approx(70) and row["dual"] == pytest.approx(-70)
    [germany] = plan.duals["capacity"].to_dict("records")
    assert germany["country"] == "DEU" and germany["value"] == pytest.approx(20)
    assert sourcing.solve(GALLIUM).objective == pytest.approx(10_000)  # without the clause


def test_a_model_file_names_its_extensions_relative_to_itself():
    """``examples/extensions/model.yaml`` says ``extensions: [china-kazakhstan-cap.py]``: the
    file beside it, whatever the working directory. Same plan: 12,200 USD."""
    spec = load_model(EXAMPLE / "model.yaml")
    assert spec.extensions == [str(EXAMPLE / "china-kazakhstan-cap.py")]
    assert sourcing.solve(GALLIUM, EXAMPLE / "model.yaml").objective == pytest.approx(12_200)


def test_an_infeasible_plan_names_the_extension_row_that_must_give(tmp_path: Path):
    """Demand of 1,100 t: the four refiners hold 1,180 t, but under the cap only 60 + 30 + 100
    = 190 t. The elastic re-solve relaxes a rule or an extension row (weight 10⁻³) before it
    leaves demand short (weight 1): the cap must give 1,100 − 190 = 910 t, and no demand is
    left uncovered."""
    document = GALLIUM.read_text(encoding="utf-8").replace("quantity: 100}", "quantity: 1100}")
    (tmp_path / "big.yaml").write_text(document, encoding="utf-8")
    plan = sourcing.solve(tmp_path / "big.yaml", capped(CAP))
    assert plan.termination_condition.value == "infeasible"
    assert plan.infeasibility is not None
    [row] = plan.infeasibility["rules"]
    assert row["constraint"] == "extension:china_kazakhstan_cap"
    assert row["relax_by"] == pytest.approx(910)
    assert plan.infeasibility["uncovered"] == []
    assert (
        "extension constraint 'china_kazakhstan_cap' must be relaxed by 910"
        in (plan.infeasibility["summary"])
    )


def test_an_extension_may_add_variables_and_cost_terms(tmp_path: Path):
    """A soft cap: CHN + KAZ ≤ 60 + e, each tonne over (e ≥ 0) costs a 40 USD penalty. A tonne
    from China over the cap then costs 100 + 40 = 140, less than Germany's 150 and Japan's 170,
    so all 100 t come from China and e = 40 (unique: every other source costs more per tonne):

        cost = 100 × 100 + penalty 40 × 40 = 10,000 + 1,600 = 11,600 USD

    The penalty is reported as the cost component ``extension``; the full Pyomo model with the
    same ``extend`` agrees."""
    soft = tmp_path / "soft.py"
    soft.write_text(
        "import pyomo.environ as pyo\n\n"
        "def extend(model):\n"
        "    s = model.supply\n"
        "    model.over = pyo.Var(within=pyo.NonNegativeReals)\n"
        "    model.soft_cap = pyo.Constraint(\n"
        "        expr=s['gallium', '', 'refining', 'CHN'] + s['gallium', '', 'refining', 'KAZ']\n"
        "        - model.over <= 60\n"
        "    )\n"
        "    model.total_cost.expr += 40 * model.over\n",
        encoding="utf-8",
    )
    plan = sourcing.solve(GALLIUM, capped(soft))
    assert plan.objective == pytest.approx(11_600)
    assert plan.costs["purchase"] == pytest.approx(10_000)
    assert plan.costs["extension"] == pytest.approx(1_600)
    assert plan.costs["total"] == pytest.approx(11_600)
    full = sourcing.build_pyomo(GALLIUM)
    load_extension(soft)(full)
    assert solve_pyomo(full) == pytest.approx(11_600)


# -- the same clause through the full Pyomo model -------------------------------------------------

CASES = [(p.parent, p) for p in sorted((INSTANCES / "examples").glob("*/model.yaml"))]
CASES += [(INSTANCES / "battery-demo", ROOT / "models" / "eu-crma.yaml")]
CASES += [(INSTANCES / "dantzig-transport", None)]

TRIM = """import pyomo.environ as pyo

KEY = {key!r}
BOUND = {bound!r}


def extend(model):
    model.trim = pyo.Constraint(expr=model.supply[KEY] <= BOUND)
    model.volume_floor = pyo.Constraint(
        list(model.stage_volume), rule=lambda m, *k: m.stage_volume[k] >= 0
    )
"""


@pytest.mark.parametrize("folder,model", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_extension_on_the_fast_path_equals_the_full_pyomo_model(folder, model, tmp_path: Path):
    """Each example's busiest offer (the largest supply in the least-cost Pyomo plan) is held to
    90% of what it supplied, and every stage volume gets a row V ≥ 0 (an indexed constraint
    over a second family). The engine, appending the rows to its arrays, and the full Pyomo
    model with the same ``extend`` solved by appsi HiGHS find the same optimum (or both find
    none)."""
    plain = sourcing.build_pyomo(folder, model)
    try:
        solve_pyomo(plain)
    except RuntimeError:  # infeasible by design: any supply will do
        key, bound = next(iter(plain.supply)), 0.0
    else:
        key = max(plain.supply, key=lambda k: plain.supply[k].value or 0.0)
        bound = 0.9 * (plain.supply[key].value or 0.0)
    extension = tmp_path / "trim.py"
    extension.write_text(TRIM.format(key=key, bound=bound), encoding="utf-8")
    plan = sourcing.solve(folder, capped(extension, model=model))
    full = sourcing.build_pyomo(folder, model)
    load_extension(extension)(full)
    if plan.termination_condition.value == "infeasible":
        with pytest.raises(RuntimeError, match="infeasible"):
            solve_pyomo(full)
        return
    assert solve_pyomo(full) == pytest.approx(plan.objective, rel=1e-7)


# -- errors: exit 2 with the file and the line, never a traceback ---------------------------------


@pytest.mark.parametrize(
    "text,where,says",
    [
        ("X = 1\n", "", "defines no function extend(model)"),
        ("def extend(model)\n    pass\n", ", line 1", "syntax error"),
        (
            "def extend(model):\n    n = 1\n    return 1 / (n - 1)\n",
            ", line 3",
            "ZeroDivisionError",
        ),
        (
            "def extend(model):\n    return model.supply['gallium', '', 'refining', 'FRA']\n",
            ", line 2",
            "not valid for indexed component 'supply'",
        ),
        (
            "import pyomo.environ as pyo\n\n"
            "def extend(model):\n"
            "    s = model.supply\n"
            "    model.product = pyo.Constraint(\n"
            "        expr=s['gallium', '', 'refining', 'CHN']\n"
            "        * s['gallium', '', 'refining', 'KAZ'] <= 5\n"
            "    )\n",
            ", line 5",
            "constraint 'product' is not linear",
        ),
        (
            "import pyomo.environ as pyo\n\n"
            "def extend(model):\n"
            "    china = model.supply['gallium', '', 'refining', 'CHN']\n"
            "    model.demand = pyo.Constraint(expr=china <= 5)\n",
            ", line 5",
            "'demand' is the name of one of the engine's families",
        ),
    ],
    ids=["no-extend", "syntax", "raises", "unknown-index", "nonlinear", "engine-name"],
)
def test_a_broken_extension_is_invalid_input_naming_file_and_line(tmp_path, text, where, says):
    """A file without ``extend``, a syntax error, an exception raised inside ``extend`` (at the
    innermost line of the planner's file in the traceback), a nonlinear constraint (at the line
    that added it) and a name the engine uses: each is exit 2, one problem naming the file and
    the line, and no traceback."""
    broken = tmp_path / "broken.py"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(sourcing.InputError) as refused:
        sourcing.solve(GALLIUM, capped(broken))
    [problem] = refused.value.problems
    assert problem.table == f"{broken}{where}"
    assert says in problem.message
    done = run("solve", str(GALLIUM), "--extend", str(broken))
    assert done.returncode == 2
    assert f"{broken}{where}: " in done.stderr and "Traceback" not in done.stderr


def test_every_analysis_takes_extend():
    """compare, stress, frontier and report accept ``--extend``: the compare row costs 12,200
    (the capped optimum above), not 10,000. (``hedge`` and ``alternatives`` do not exist yet.)"""
    done = run("compare", str(GALLIUM), "--extend", str(CAP), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "12200" in done.stdout.replace(",", "") and "10000" not in done.stdout
    for command in (["stress", "--top", "1"], ["frontier", "--points", "2"]):
        done = run(command[0], str(GALLIUM), *command[1:], "--extend", str(CAP), "-f", "csv")
        assert done.returncode == 0, done.stderr


def test_a_sweep_takes_extend_and_cuts_the_capped_plan(tmp_path: Path):
    """`sourcing sweep --extend`: China (1,000 t) loses 95% of its capacity, leaving 50 t.

    Under the cap (CHN + KAZ ≤ 60 t) the base buys CHN 60, DEU 30, JPN 10: 12,200. After the
    cut China gives 50 t and Kazakhstan fills the cap's other 10 t at 130; the last 40 t are
    Germany's 30 at 150 and 10 from Japan at 170:

        50 × 100 + 10 × 130 + 30 × 150 + 10 × 170 = 5,000 + 1,300 + 4,500 + 1,700 = 12,500

    (extra cost 300). Without the clause the same cut costs 50 × 100 + 50 × 130 = 11,500."""
    table = tmp_path / "sweep.csv"
    common = ["--disrupt", "top:1", "--cuts", "0.95", "--out", str(table), "--jobs", "1"]
    done = run("sweep", str(GALLIUM), "--extend", str(CAP), *common)
    assert done.returncode == 0, done.stderr
    import pandas as pd

    rows = pd.read_csv(table).set_index("scenario")
    assert rows.loc["base", "objective"] == pytest.approx(12_200)
    assert rows.loc["gallium/CHN/cut 0.95", "objective"] == pytest.approx(12_500)
    assert rows.loc["gallium/CHN/cut 0.95", "extra_cost"] == pytest.approx(300)
    done = run("sweep", str(GALLIUM), *common)
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(table).set_index("scenario")
    assert rows.loc["gallium/CHN/cut 0.95", "objective"] == pytest.approx(11_500)


def test_the_service_refuses_an_extension(tmp_path: Path):
    """An extension file is code, and the service runs no caller's code: a model document with
    ``extensions`` is 422 naming the field, and the file is never run (it would write a
    marker)."""
    import asyncio

    import httpx

    from sourcing.service.app import create_app
    from sourcing.service.settings import Settings

    marker = tmp_path / "ran"
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(f"open({str(marker)!r}, 'w').close()\ndef extend(model): pass\n")
    app = create_app(Settings(data_dir=tmp_path, api_tokens="token-for-the-test"))
    instance = sourcing.load_instance(GALLIUM).model_dump(mode="json", exclude_none=True)
    body = {"instance": instance, "model": {"extensions": [str(sneaky)]}}

    async def ask(path: str) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": "Bearer token-for-the-test"},
        ) as client:
            return await client.post(path, json=body)

    for path in ("/v1/validate", "/v1/solve", "/v1/jobs"):
        answer = asyncio.run(ask(path))
        assert answer.status_code == 422, (path, answer.text)
        [problem] = answer.json()["problems"]
        assert (problem["table"], problem["field"]) == ("model", "extensions")
        assert "never runs an extension file" in problem["message"]
    assert not marker.exists()


def test_validate_runs_the_extension_and_export_writes_its_row(tmp_path: Path):
    """`validate --extend` runs and translates the file (a broken one is exit 2 naming the file
    and line before any solve); `export --extend` writes the cap's row into the LP file, with
    both supply columns it sums."""
    broken = tmp_path / "broken.py"
    broken.write_text("def extend(model):\n    raise ValueError('no such clause')\n")
    refused = run("validate", str(GALLIUM), "--extend", str(broken))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "broken.py, line 2" in refused.stderr
    valid = run("validate", str(GALLIUM), "--extend", str(CAP))
    assert valid.returncode == 0, valid.stderr

    written = tmp_path / "capped.lp"
    exported = run("export", str(GALLIUM), "--extend", str(CAP), "--out", str(written))
    assert exported.returncode == 0, exported.stderr
    text = written.read_text()
    row = text[text.index("china_kazakhstan_cap") :].split("\n\n")[0]
    assert "supply(gallium__refining_CHN)" in row and "supply(gallium__refining_KAZ)" in row
    assert "<= 60" in row
