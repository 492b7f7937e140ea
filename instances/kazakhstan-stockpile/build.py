"""Build kazakhstan-stockpile: the kazakhstan-partnership importer over three years, with a
stockpile of every mineral, ahead of a Chinese export ban from the second year.

    python instances/kazakhstan-stockpile/build.py            # write the tables next to this file
    python instances/kazakhstan-stockpile/build.py --report   # and print what stock costs and saves

The same construction as usgs-2024-stockpile (its build.py is imported, so the two cannot drift
apart): kazakhstan-partnership's tables every year, a stockpile of each mineral at the importer
holding at 10% of the mineral's reference price a year, the ban scenario (China sells nothing
from 2026, on top of the antimony, bismuth and tungsten it already withholds) and a soft 60-day
cover. ``--report`` solves it under least cost and under ``with-partner.yaml`` (Kazakhstan
counted as a partner; its cover model ``with-partner-cover-60-days.yaml`` is that model plus the
cover's rules). Every number not copied is an assumption stated there and in README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "kazakhstan-partnership"
NAME = "kazakhstan-stockpile"
DESCRIPTION = (
    "  The kazakhstan-partnership importer (1% of world output of the 15 critical minerals\\n"
    "  Kazakhstan produces) over three years, with a stockpile of every mineral; the same\\n"
    "  offers and demand every year.\\n"
).replace("\\n", "\n")


def construction():
    """instances/usgs-2024-stockpile/build.py, as a module."""
    path = HERE.parent / "usgs-2024-stockpile" / "build.py"
    spec = importlib.util.spec_from_file_location("usgs_2024_stockpile_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build() -> None:
    construction().build(BASE, HERE, NAME, DESCRIPTION)
    shutil.copyfile(BASE / "with-partner.yaml", HERE / "with-partner.yaml")
    # the partner model with the cover's rules too: so the cover is compared like with like
    cover = (HERE / "cover-60-days.yaml").read_text(encoding="utf-8")
    covers = cover.split("rules:\n", 1)[1]
    partner = (BASE / "with-partner.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    partner = partner.replace("name: with-partner", "name: with-partner-cover-60-days", 1)
    (HERE / "with-partner-cover-60-days.yaml").write_text(partner + covers, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="solve and print the figures")
    build()
    if parser.parse_args().report:
        print("Least cost (no partner rule):\n")
        construction().report(HERE)
        print("\nWith Kazakhstan as a partner (with-partner.yaml):\n")
        construction().report(
            HERE, HERE / "with-partner.yaml", HERE / "with-partner-cover-60-days.yaml"
        )
    sys.exit(0)
