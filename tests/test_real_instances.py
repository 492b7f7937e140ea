"""The real-data instances, ``instances/usgs-2024`` and ``instances/kazakhstan-partnership``.

What is checked, and where each expected number comes from:

* the committed tables are exactly what the build scripts make, from the committed copy of the
  USGS tables (``instances/usgs-2024/source``) and, when this checkout has the shared data beside
  it (``../shared/data/usgs``), from that too;
* the build's two rules, on rows read straight from the USGS CSVs with the csv module: a
  country offers the buyer 5% of its output, the buyer wants 1% of world output;
* every bundled model solves to optimality and every plan passes the independent checker
  (``tests/checker.py``);
* shortfalls derived by hand from the instance's own tables where a rule or a missing supplier
  binds (derivations in each test);
* objectives are regression records (the instances' READMEs), not derivations.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import sourcing
from tests.checker import check_plan
from tests.conftest import INSTANCES, ROOT

USGS = INSTANCES / "usgs-2024"
KZ = INSTANCES / "kazakhstan-partnership"
COPY = USGS / "source"
SHARED = ROOT.parent / "shared" / "data" / "usgs"
#: Where the USGS rows are read from: the shared data when present, else the committed copy.
USGS_DATA = SHARED if SHARED.is_dir() else COPY
#: The build is checked from every source this checkout has (the shared data is not in CI).
SOURCES = [COPY] + ([SHARED] if SHARED.is_dir() else [])
BUNDLED = ["least-cost", "eu-crma", "partner-share", "resilient"]
WITH_PARTNER = KZ / "with-partner.yaml"
WITHOUT_PARTNER = KZ / "without-partner.yaml"

#: Regression records: objective (USD) of each plan, from ``sourcing solve ... --format json``.
RECORDED = {
    ("usgs-2024", "least-cost"): 8651004627.426998,
    ("usgs-2024", "eu-crma"): 8658132433.064566,
    ("usgs-2024", "partner-share"): 11728125999.969711,
    ("usgs-2024", "resilient"): 9009318870.341436,
    ("kazakhstan-partnership", "least-cost"): 6392191111.463872,
    ("kazakhstan-partnership", "eu-crma"): 6392196516.09904,
    ("kazakhstan-partnership", "partner-share"): 8552211057.405834,
    ("kazakhstan-partnership", "resilient"): 6610196864.582565,
    ("kazakhstan-partnership", "with-partner"): 8216829625.49852,
    ("kazakhstan-partnership", "without-partner"): 8552211057.405834,
}


def _kz_build():
    """The Kazakhstan build module, which loads the usgs-2024 build module (``.usgs``)."""
    name = "kazakhstan_partnership_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, KZ / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@cache
def _plan(folder: Path, model: str | Path) -> sourcing.Plan:
    return sourcing.solve(folder, model)


@cache
def _instance(folder: Path) -> sourcing.Instance:
    return sourcing.load_instance(folder)


@cache
def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _offer(folder: Path, mineral: str, stage: str, country: str) -> dict[str, str]:
    (row,) = [
        r
        for r in _rows(folder, "supply")
        if (r["mineral"], r["stage"], r["country"]) == (mineral, stage, country)
    ]
    return row


def _demand(folder: Path, mineral: str) -> float:
    (row,) = [r for r in _rows(folder, "demand") if r["mineral"] == mineral]
    return float(row["quantity"])


def _usgs(
    file: str, mineral: str, product: str, country: str, edition: str = "MCS 2025", year="2024"
) -> float:
    """One quantity straight from a USGS table, in the table's own unit. ``edition`` is
    "MCS 2025", "MCS 2026" or "WNA" (refining_share.csv names it in its source column)."""
    found = []
    with open(USGS_DATA / file, encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            vintage = r.get("edition") or next(
                (f"MCS {y}" for y in ("2025", "2026") if f"Summaries {y}" in r["source"]), ""
            )
            key = (r["mineral"], r.get("product") or r["stage"], r["country"], r["year"])
            if key == (mineral, product, country, year) and vintage == edition:
                found.append(float(r.get("production") or r["share_or_quantity"]))
    assert len(found) == 1, (file, mineral, product, country, found)
    return found[0]


# -- the build --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.name + "/" + p.name)
@pytest.mark.parametrize("folder", [USGS, KZ], ids=lambda p: p.name)
def test_build_script_regenerates_the_committed_instance(tmp_path, folder, source):
    """``python instances/<name>/build.py --source S --out DIR`` writes, byte for byte, the files
    committed in the instance folder, and no table is committed that the build does not write."""
    out = tmp_path / folder.name
    run = subprocess.run(
        [sys.executable, str(folder / "build.py"), "--source", str(source), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(["instance.yaml", "BUILD.md"] + [p.name for p in folder.glob("*.csv")])
    for name in written:
        assert (out / name).read_bytes() == (folder / name).read_bytes(), name


def test_kazakhstan_minerals_are_those_the_data_shows_it_producing():
    kz = _kz_build()
    assert kz.producing(COPY) == sorted(kz.KAZAKH_MINERALS)
    assert sorted(r["mineral"] for r in _rows(KZ, "minerals")) == sorted(kz.KAZAKH_MINERALS)
    assert len(kz.KAZAKH_MINERALS) == 15


# (mineral, stage, country) -> the USGS rows (file, mineral, product, country) its output sums,
# and tonnes per unit of those rows. Capacity offered = 5% of the output in tonnes.
CAPACITY_SAMPLE = [
    # Chile mined 5,300 kt of copper in 2024: 5% is 265,000 t
    (
        ("copper", "mining", "CHL"),
        [("mine_production.csv", "Copper", "mine production, recoverable copper content", "Chile")],
        1000,
    ),
    (
        ("copper", "refining", "USA"),
        [("refining_share.csv", "Copper", "refinery production, refined copper", "United States")],
        1000,
    ),
    # Australia mined 88,000 t of lithium (Li content): 4,400 t
    (
        ("lithium", "mining", "AUS"),
        [("mine_production.csv", "Lithium", "mine production, lithium content", "Australia")],
        1,
    ),
    # China made 750,000 kg of primary gallium: 37.5 t
    (
        ("gallium", "refining", "CHN"),
        [("refining_share.csv", "Gallium", "primary (low-purity) gallium production", "China")],
        0.001,
    ),
    # Australia: 400 kt TiO2 in ilmenite + 200 kt in rutile -> 30,000 t of TiO2
    (
        ("titanium", "mining", "AUS"),
        [
            (
                "mine_production.csv",
                "Titanium",
                "ilmenite mine production, TiO2 content",
                "Australia",
            ),
            (
                "mine_production.csv",
                "Titanium",
                "rutile mine production, TiO2 content",
                "Australia",
            ),
        ],
        1000,
    ),
    # Kazakhstan: 130 kt Si in ferrosilicon + 7 kt silicon metal -> 6,850 t
    (
        ("silicon", "refining", "KAZ"),
        [
            (
                "refining_share.csv",
                "Silicon",
                "ferrosilicon plant production, silicon content",
                "Kazakhstan",
            ),
            ("refining_share.csv", "Silicon", "silicon metal plant production", "Kazakhstan"),
        ],
        1000,
    ),
    # Kazakhstan mined 23,270 tU in 2024 (WNA): 1,163.5 t
    (
        ("uranium", "mining", "KAZ"),
        [
            (
                "mine_production.csv",
                "Uranium",
                "uranium production from mines (tU)",
                "Kazakhstan",
                "WNA",
            )
        ],
        1,
    ),
    (
        ("rhenium", "mining", "USA"),
        [
            (
                "mine_production.csv",
                "Rhenium",
                "mine production (recovered from Mo/Cu processing), rhenium content",
                "United States",
            )
        ],
        0.001,
    ),
]


@pytest.mark.parametrize(
    "offer, rows, tonnes",
    CAPACITY_SAMPLE,
    ids=lambda v: "/".join(v) if isinstance(v, tuple) else None,
)
def test_capacity_is_five_percent_of_the_countrys_output(offer, rows, tonnes):
    output = sum(_usgs(*row) for row in rows) * tonnes
    assert float(_offer(USGS, *offer)["capacity"]) == pytest.approx(0.05 * output, rel=1e-12)


def test_kazakh_tungsten_is_read_from_mcs_2026():
    """Kazakhstan's first tungsten (2,400 t, 2025 estimate) is in MCS 2026 only."""
    output = _usgs(
        "mine_production.csv",
        "Tungsten",
        "mine production, tungsten content",
        "Kazakhstan",
        "MCS 2026",
        "2025",
    )
    assert output == 2400
    assert float(_offer(KZ, "tungsten", "mining", "KAZ")["capacity"]) == pytest.approx(120)


# mineral -> the world-total rows of its delivered stage, tonnes per unit
DEMAND_SAMPLE = [
    ("copper", [("refining_share.csv", "Copper", "refinery production, refined copper")], 1000),
    (
        "aluminum",
        [("refining_share.csv", "Aluminum", "primary aluminum (smelter production)")],
        1000,
    ),
    ("lithium", [("mine_production.csv", "Lithium", "mine production, lithium content")], 1),
    (
        "gallium",
        [("refining_share.csv", "Gallium", "primary (low-purity) gallium production")],
        0.001,
    ),
    ("titanium", [("refining_share.csv", "Titanium", "titanium sponge metal production")], 1),
    (
        "silicon",
        [
            ("refining_share.csv", "Silicon", "ferrosilicon plant production, silicon content"),
            ("refining_share.csv", "Silicon", "silicon metal plant production"),
        ],
        1000,
    ),
]


@pytest.mark.parametrize(
    "mineral, rows, tonnes", DEMAND_SAMPLE, ids=lambda v: v if isinstance(v, str) else None
)
def test_demand_is_one_percent_of_world_output(mineral, rows, tonnes):
    world = sum(_usgs(*row, "World total (rounded)") for row in rows) * tonnes
    assert _demand(USGS, mineral) == pytest.approx(0.01 * world, rel=1e-12)


def test_uranium_demand_is_one_percent_of_the_wna_world_total():
    world = _usgs(
        "mine_production.csv", "Uranium", "uranium production from mines (tU)", "World total", "WNA"
    )
    assert world == 60213
    assert _demand(USGS, "uranium") == pytest.approx(602.13, rel=1e-12)


def test_one_stage_minerals_pass_through_where_they_are_produced():
    """A mineral with data at one stage only is offered at the other stage in the same countries,
    at price 0 and without a capacity: the pass-through adds no cost and no country."""
    supply = _rows(USGS, "supply")
    yields = {r["mineral"] for r in _rows(USGS, "yields")}
    assert yields == {"aluminum", "copper", "titanium"}  # the two-stage minerals
    for mineral in {r["mineral"] for r in supply} - yields:
        stages = {
            s: {r["country"]: r for r in supply if (r["mineral"], r["stage"]) == (mineral, s)}
            for s in ("mining", "refining")
        }
        assert set(stages["mining"]) == set(stages["refining"]), mineral
        free = [s for s, rows in stages.items() if all(r["price"] == "0" for r in rows.values())]
        assert len(free) == 1, mineral
        assert all(r["capacity"] in ("", "0") for r in stages[free[0]].values()), mineral
    for model in BUNDLED:  # ore crosses a border only where there is a second stage
        flows = _plan(USGS, model).flows
        crossing = flows[
            (flows["stage"] == "mining") & (flows["from_country"] != flows["to_country"])
        ]
        assert set(crossing["mineral"]) <= yields, model


def test_kazakhstan_exports_on_the_trans_caspian_route():
    """KAZ -> USA: 130 USD/t to Poti (World Bank: 3,250 USD per 40-foot container of 25 t on the
    Middle Corridor), then 15 + 3 per 1,000 km of great-circle distance Poti -> Washington."""
    lat1, lon1, lat2, lon2 = map(math.radians, (42.15, 41.67, 38.9, -77.04))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * 6371 * math.asin(math.sqrt(a))
    (row,) = [r for r in _rows(KZ, "transport") if (r["from"], r["to"]) == ("KAZ", "USA")]
    assert float(row["cost"]) == pytest.approx(130 + 15 + 3 * round(km) / 1000, abs=0.005)


# -- every bundled model, checked independently ------------------------------------------------


CASES = [(USGS, m) for m in BUNDLED] + [(KZ, m) for m in BUNDLED + [WITH_PARTNER, WITHOUT_PARTNER]]


def _name(model: str | Path) -> str:
    return model.stem if isinstance(model, Path) else model


@pytest.mark.parametrize("folder, model", CASES, ids=[f"{f.name}-{_name(m)}" for f, m in CASES])
def test_every_model_solves_to_optimality_and_passes_the_independent_check(folder, model):
    plan = _plan(folder, model)
    assert plan.termination_condition.value == "optimal"
    spec = sourcing.load_model(model)
    check = check_plan(_instance(folder), list(spec.rules), plan)
    assert check.problems == []
    assert plan.objective == pytest.approx(RECORDED[folder.name, _name(model)], rel=1e-6)


def test_usgs_instance_has_no_consistency_warning():
    for model in BUNDLED:
        assert sourcing.validate(USGS, model, strict=True) == []


# -- shortfalls derived by hand ------------------------------------------------------------------


def _shortfall(plan: sourcing.Plan) -> dict[str, float]:
    return dict(zip(plan.shortfall["mineral"], plan.shortfall["shortfall"], strict=True))


def _capacity(folder: Path, mineral: str, stage: str, countries) -> float:
    return sum(
        float(r["capacity"])
        for r in _rows(folder, "supply")
        if r["mineral"] == mineral and r["stage"] == stage and r["country"] in countries
    )


def _groups(folder: Path) -> dict[str, set[str]]:
    return {r["country"]: set(r["groups"].split(";")) - {""} for r in _rows(folder, "countries")}


def test_eu_crma_leaves_gallium_short_by_what_the_65_percent_cap_cannot_cover():
    """Gallium outside China: Japan 3,000 kg, Korea 3,000 kg, Russia 6,000 kg -> 0.6 t for the
    buyer. China may give at most 65% of what is delivered, so the rest (≥ 35%) caps the
    delivery at 0.6 / 0.35 = 1.714 t of the 7.6 t wanted: 5.886 t short."""
    others = _capacity(USGS, "gallium", "refining", {"JPN", "KOR", "RUS"})
    assert others == pytest.approx(0.6)
    expected = _demand(USGS, "gallium") - others / 0.35
    assert _shortfall(_plan(USGS, "eu-crma")) == pytest.approx({"gallium": expected}, rel=1e-9)


def test_resilient_buys_no_gallium():
    """Without China and Russia (FEOC) only Japan and Korea make gallium; 'top two at most 80%'
    cannot hold with two suppliers and a positive volume, so all 7.6 t are short."""
    gallium = {r["country"] for r in _rows(USGS, "supply") if r["mineral"] == "gallium"}
    assert gallium - {"CHN", "RUS"} == {"JPN", "KOR"}
    assert _shortfall(_plan(USGS, "resilient"))["gallium"] == pytest.approx(7.6)


def _partner_deliverable(folder: Path, mineral: str, partners: set[str]) -> float:
    """What a 70% partner value share lets a one-stage mineral deliver.

    One stage carries all the value and every country's price is the same, so the value share
    is a quantity share: with partner capacity P and other allowed (non-FEOC) capacity O, the
    delivery D is at most the demand d, at most P + O, and at most P / 0.7 (partners give at
    least 70% of D). The shortfall penalty exceeds every landed cost, so the plan delivers the
    most it can: D = min(d, P + O, P / 0.7).
    """
    groups = _groups(folder)
    data_stage = next(
        r["stage"] for r in _rows(folder, "supply") if r["mineral"] == mineral and r["price"] != "0"
    )
    offered = {
        r["country"]
        for r in _rows(folder, "supply")
        if (r["mineral"], r["stage"]) == (mineral, data_stage)
    }
    allowed = {c for c in offered if "FEOC" not in groups[c]}
    p = _capacity(folder, mineral, data_stage, allowed & partners)
    o = _capacity(folder, mineral, data_stage, allowed - partners)
    return min(_demand(folder, mineral), p + o, p / 0.7)


def _one_stage(folder: Path) -> list[str]:
    two = {r["mineral"] for r in _rows(folder, "yields")}
    return sorted({r["mineral"] for r in _rows(folder, "minerals")} - two)


def _us_fta(folder: Path) -> set[str]:
    return {c for c, g in _groups(folder).items() if g & {"US", "FTA"}}


def test_partner_share_shortfalls_follow_the_partner_capacity():
    """usgs-2024 under partner-share: every one-stage mineral delivers min(d, P + O, P / 0.7)."""
    plan = _plan(USGS, "partner-share")
    short = _shortfall(plan)
    for mineral in _one_stage(USGS):
        expected = _demand(USGS, mineral) - _partner_deliverable(USGS, mineral, _us_fta(USGS))
        assert short.get(mineral, 0.0) == pytest.approx(expected, rel=1e-9, abs=1e-9), mineral
    assert short["chromium"] == _demand(USGS, "chromium")  # no US or FTA chromite in the data


def test_partner_share_caps_aluminum_at_one_and_a_half_times_the_partner_smelters():
    """Bauxite carries 10% of aluminum's value, smelting 90%. With all bauxite from Australia
    (FTA, 5 Mt offered, 2.1 Mt needed) the partner value share of delivery D with partner
    smelting R is (0.1 D + 0.9 R) / D ≥ 0.7, so D ≤ 1.5 R; the partner smelters (Canada, Bahrain,
    Australia, the US) offer 353,500 t, so D = 530,250 t of the 720,000 t wanted."""
    smelters = _capacity(USGS, "aluminum", "refining", _us_fta(USGS))
    assert smelters == 353_500
    short = _shortfall(_plan(USGS, "partner-share"))
    assert short["aluminum"] == pytest.approx(720_000 - 1.5 * smelters, rel=1e-9)


# -- the Kazakhstan case -------------------------------------------------------------------------


def test_kazakhstan_case_warns_that_without_china_bismuth_and_tungsten_fall_short():
    """China sells the buyer no bismuth or tungsten (and North Korea nothing), so the rest of the
    world's offers fall below 1% of world output: 0.05 x 2,900 t of bismuth outside China = 145 t
    < 160 t; 0.05 x 13,740 t of tungsten outside China and North Korea = 687 t < 850 t. These are
    the only warnings; they are why ``--strict`` refuses this instance (README)."""
    warnings = sourcing.validate(KZ, "least-cost")
    assert warnings == [
        "supply, field 'capacity': bismuth at stage 'refining': total capacity 145 is below the "
        "160 needed to meet demand in full",
        "supply, field 'capacity': tungsten at stage 'mining': total capacity 687 is below the "
        "850 needed to meet demand in full",
    ]
    with pytest.raises(sourcing.InputError):
        sourcing.validate(KZ, "least-cost", strict=True)
    assert _shortfall(_plan(KZ, "least-cost")) == pytest.approx({"bismuth": 15, "tungsten": 163})


def test_china_sells_the_buyer_no_antimony_bismuth_or_tungsten():
    for mineral in ("antimony", "bismuth", "tungsten"):
        rows = [r for r in _rows(KZ, "supply") if r["mineral"] == mineral and r["country"] == "CHN"]
        assert rows and all(r["capacity"] == "0" for r in rows), mineral
    plan = _plan(KZ, "least-cost")
    assert (
        plan.shares[plan.shares["country"] == "CHN"]["mineral"]
        .isin(["antimony", "bismuth", "tungsten"])
        .sum()
        == 0
    )


def test_without_partner_is_the_bundled_partner_share_model():
    assert sourcing.load_model(WITHOUT_PARTNER).rules == sourcing.load_model("partner-share").rules
    assert _plan(KZ, WITHOUT_PARTNER).objective == _plan(KZ, "partner-share").objective


@pytest.mark.parametrize("model", [WITH_PARTNER, WITHOUT_PARTNER], ids=_name)
def test_partner_shortfalls_follow_the_partner_capacity(model):
    """Each one-stage mineral delivers min(d, P + O, P / 0.7), Kazakhstan in P or in O."""
    partners = _us_fta(KZ) | ({"KAZ"} if model == WITH_PARTNER else set())
    short = _shortfall(_plan(KZ, model))
    for mineral in _one_stage(KZ):
        expected = _demand(KZ, mineral) - _partner_deliverable(KZ, mineral, partners)
        assert short.get(mineral, 0.0) == pytest.approx(expected, rel=1e-9, abs=1e-9), mineral


def test_counting_kazakhstan_as_a_partner_meets_the_rule_at_lower_cost():
    """The hand-checkable claim of the case. Chromium: no US or FTA country mines chromite, so
    without the partner all 470,000 t are short; with Kazakhstan's 325,000 t (5% of 6.5 Mt) as
    partner supply the buyer can take 325,000 / 0.7 = 464,286 t, Kazakhstan at exactly 70%. Every
    other mineral Kazakhstan makes gains 0.05 x its output / 0.7 where the partner share binds.
    The plan with the partner costs 335,381,431.91 USD less (3.9%), most of it unmet demand."""
    without, with_ = _plan(KZ, WITHOUT_PARTNER), _plan(KZ, WITH_PARTNER)
    assert _shortfall(without)["chromium"] == pytest.approx(470_000)
    assert _shortfall(with_)["chromium"] == pytest.approx(470_000 - 325_000 / 0.7, rel=1e-9)
    chromium = with_.concentration.set_index(["mineral", "stage"]).loc[("chromium", "mining")]
    assert (chromium["top_country"], chromium["max_share"]) == ("KAZ", pytest.approx(0.7))
    assert with_.objective < without.objective
    assert without.objective - with_.objective == pytest.approx(335_381_431.907314, rel=1e-6)
    for plan, partners in ((with_, _us_fta(KZ) | {"KAZ"}), (without, _us_fta(KZ))):
        rules = list(
            sourcing.load_model(WITH_PARTNER if "KAZ" in partners else WITHOUT_PARTNER).rules
        )
        assert check_plan(_instance(KZ), rules, plan).problems == []
