"""The planner's own names are shown as written: never as rich markup, never as an emoji.

A country coded ``:x:`` once printed as an emoji, in the plan's tables and in error messages,
and ``[bold]`` in a name would have been read as markup. Every text the CLI prints quotes the
data verbatim.
"""

from __future__ import annotations

import json

from tests.test_cli import run

ODD = [":x:", "[bold]B[/bold]", ":thumbs_up:"]


def odd_instance(tmp_path):
    """Lithium refined in three countries with odd codes (10, 20, 30 t at 10, 11, 12), 60 t of
    hard demand at a plant in the USA over free lanes: every country supplies all it has, at
    10 × 10 + 20 × 11 + 30 × 12 = 680."""
    document = {
        "name": "odd-names",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c in [*ODD, "USA"]],
        "sites": [{"site": "plant", "country": "USA"}],
        "supply": [
            {
                "mineral": "li",
                "stage": "refining",
                "country": c,
                "capacity": 10 * (i + 1),
                "price": 10 + i,
            }
            for i, c in enumerate(ODD)
        ],
        "transport": [{"from": c, "to": "USA", "cost": 0} for c in ODD],
        "demand": [{"mineral": "li", "site": "plant", "quantity": 60}],
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_plan_table_quotes_odd_country_codes(tmp_path):
    done = run("solve", str(odd_instance(tmp_path)))
    assert done.returncode == 0, done.stderr
    for code in ODD:
        assert code in done.stdout
    assert "❌" not in done.stdout and "👍" not in done.stdout
    assert "total cost: 680.00" in done.stdout


def test_an_error_message_quotes_odd_country_codes(tmp_path):
    model = tmp_path / "model.yaml"
    model.write_text(
        "name: cap\nrules:\n  - {rule: max_country_share, share: 0.5, exempt: ['[red]EU']}\n",
        encoding="utf-8",
    )
    done = run("solve", str(odd_instance(tmp_path)), "--model", str(model))
    assert done.returncode == 2
    assert "'[red]EU'" in done.stderr and ":x:" in done.stderr and "❌" not in done.stderr


def test_the_readme_lists_the_plans_json_keys_in_order():
    """The README promises the plan's top-level JSON keys; the plan of the soft-demand example
    has exactly those, in that order."""
    import re

    from tests.conftest import INSTANCES

    readme = (INSTANCES.parent / "README.md").read_text(encoding="utf-8")
    listed = readme.split("top-level keys, in order:", 1)[1].split(";", 1)[0]
    promised = re.findall(r"`(\w+)`", listed)
    done = run("solve", str(INSTANCES / "examples" / "soft-demand"), "--format", "json")
    assert list(json.loads(done.stdout)) == promised


def test_no_number_is_cut_however_wide_the_table():
    """A comparison of nine plans with ten-digit costs is far wider than the 160 columns the
    text is laid out in: every number still appears whole (rich once cut them to '8,552,211…'),
    the model names wrap between words at most, and no cell ends in an ellipsis."""
    import pandas as pd

    from sourcing.analysis.tables import compare_text

    costs = ["total", "purchase", "processing", "transport", "tariffs", "shortfall_cost"]
    frame = pd.DataFrame(
        [
            {
                "model": f"a long model name number {i}",
                "scenario": "baseline",
                "status": "optimal",
                **{c: 8_552_211_057.41 + i for c in costs},
                "shortfall": 760_520.714,
                "change": 1_234_567_890.12 * i,
                "change_pct": 0.1 * i,
            }
            for i in range(9)
        ]
    )
    frame.attrs.update(instance="wide", currency="USD", unit="t")
    text = compare_text(frame)
    assert "…" not in text
    for i in range(9):
        assert f"8,552,211,{57 + i:03d}.41" in text
    assert "+9,876,543,120.96" in text  # 1,234,567,890.12 × 8
