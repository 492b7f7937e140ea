"""Build the ``kazakhstan-partnership`` instance: a US buyer of the minerals Kazakhstan produces.

Run from the repository root::

    python instances/kazakhstan-partnership/build.py
    python instances/kazakhstan-partnership/build.py --source ../shared/data/usgs

The rules, assumptions and source rows are those of ``instances/usgs-2024/build.py`` (imported
from there, so the two instances cannot drift apart): demand 1% of world output, capacity 5% of
each country's output, the same prices, yields, freight (Kazakhstan's exports priced on the
Trans-Caspian route) and tariff. What differs is set in :data:`CONFIG`:

* the minerals: those USGS (uranium: WNA) shows Kazakhstan producing. The build checks that
  the list is exactly that set, and that Kazakhstan's figures equal kazakhstan_production.csv;
* tungsten is read from MCS 2026 (2025 estimate): Kazakhstan's first tungsten output is in 2025;
* China's export restrictions as the backdrop: China sells this buyer no antimony, tungsten or
  bismuth (its offers keep their row with capacity 0, so the plan's capacity duals price them).

Whether Kazakhstan counts as a partner is a model choice, not data: ``with-partner.yaml`` and
``without-partner.yaml`` in this folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _usgs():
    """The usgs-2024 build module (instance folders are not packages: import it by path)."""
    import importlib.util

    name = "usgs_2024_build"
    if name not in sys.modules:
        path = HERE.parent / "usgs-2024" / "build.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


usgs = _usgs()

#: China's measures toward the US that this case assumes bind (README: the backdrop).
CHINA_CLOSED = {
    "antimony": "ban on exports to the US, MOFCOM Announcement No. 46 of 2024 (3 Dec 2024), "
    "suspended 9 Nov 2025 - 27 Nov 2026: assumed in force",
    "bismuth": "export licensing from 4 Feb 2025 (MOFCOM and General Administration of Customs): "
    "assumed no licence for a US buyer",
    "tungsten": "export licensing from 4 Feb 2025 (MOFCOM and General Administration of Customs): "
    "assumed no licence for a US buyer",
}

#: The minerals USGS and WNA show Kazakhstan producing in the vintages read (checked in build).
KAZAKH_MINERALS = (
    "aluminum",
    "antimony",
    "barite",
    "bismuth",
    "chromium",
    "copper",
    "magnesium",
    "phosphate",
    "rhenium",
    "silicon",
    "silver",
    "titanium",
    "tungsten",
    "uranium",
    "zinc",
)

CONFIG = usgs.Config(
    name="kazakhstan-partnership",
    description=(
        "The February 2026 case: a US importer of the 15 critical minerals Kazakhstan produces, "
        "buying 1% of world output, with Kazakhstan's exports priced on the Trans-Caspian route "
        "and China selling it no antimony, tungsten or bismuth. Same data, rules and assumptions "
        "as usgs-2024 (tungsten from MCS 2026, 2025 estimate). Solve with with-partner.yaml or "
        "without-partner.yaml to see what counting Kazakhstan as a partner changes (README.md)."
    ),
    minerals=KAZAKH_MINERALS,
    vintage_of={"tungsten": (("MCS 2026", "2025"),)},
    china_closed=CHINA_CLOSED,
    crosscheck_country="Kazakhstan",
    out_of_scope="the USGS (uranium: WNA) tables show no Kazakh output of it",
)


def producing(source: Path, country: str = "KAZ") -> list[str]:
    """Every mineral of usgs-2024's list with output in ``country`` in this case's vintages."""
    everything = usgs.Config(
        name="all",
        description="",
        vintage=CONFIG.vintage,
        vintage_of=CONFIG.vintage_of,
        price_year=CONFIG.price_year,
    )
    built = usgs.build(everything, source)
    return sorted(
        {mineral for (mineral, _), stage in built.stages.items() if country in stage.production}
    )


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    source = usgs.DEFAULT_SOURCE
    if "--source" in args:
        source = Path(args[args.index("--source") + 1])
    found = producing(source)
    if found != sorted(KAZAKH_MINERALS):
        raise SystemExit(f"KAZAKH_MINERALS is out of date: the data shows {found}")
    return usgs.main(args, config=CONFIG, out=HERE)


if __name__ == "__main__":
    sys.exit(main())
