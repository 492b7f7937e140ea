"""What the bundled USGS tables show of Kazakhstan, mineral by mineral, for the USGS 2025 list.

Run from the repository root::

    python instances/kazakhstan-partnership/evidence/evidence.py          # writes evidence.csv
    python instances/kazakhstan-partnership/evidence/evidence.py --check  # exit 1 if stale

Kazakhstan said in February 2026 that it could supply 20 of the 60 minerals on the US list. Its
own list is not among the sources bundled here (``instances/usgs-2024/source``), so this table
does not guess it: it lists every mineral of the 2025 list for which those sources hold any
Kazakh evidence, with the newest of it and where it comes from, so a planner sees what each
claim rests on. One row per mineral:

    mineral          as the USGS list names it
    evidence         quantified (a production figure) | capacity (capacity only) | qualitative
                     (USGS text: "may have produced", import shares, "Other countries")
    newest_edition   the newest source edition with a figure (MCS 2026, MCS 2025, WNA), or ""
    newest_year      the year of that figure
    quantity, unit   that figure
    stages           the stages with a figure (mining, smelter/refinery)
    source           the source of the newest row, as kazakhstan_production.csv cites it
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "usgs-2024" / "source"
OUT = HERE / "evidence.csv"
COLUMNS = ["mineral", "evidence", "newest_edition", "newest_year", "quantity", "unit"]
COLUMNS += ["stages", "source"]
RANK = {"quantified": 0, "capacity": 1, "qualitative": 2}


def table(source: Path = SOURCE) -> list[dict[str, str]]:
    with (source / "critical_minerals_list.csv").open(newline="", encoding="utf-8") as f:
        listed = {r["mineral"] for r in csv.DictReader(f) if r["on_2025_list"] == "yes"}
    with (source / "kazakhstan_production.csv").open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["mineral"] in listed]
    out = []
    for mineral in sorted({r["mineral"] for r in rows}):
        mine = [r for r in rows if r["mineral"] == mineral]
        evidence = min((r["evidence"] for r in mine), key=lambda e: RANK.get(e, 9))
        dated = [r for r in mine if r["year"] and r["evidence"] == evidence]
        newest = max(dated, key=lambda r: (r["year"], r["edition"]), default=mine[0])
        out.append(
            {
                "mineral": mineral,
                "evidence": evidence,
                "newest_edition": newest["edition"] if dated else "",
                "newest_year": newest["year"] if dated else "",
                "quantity": newest["quantity"] if dated else "",
                "unit": newest["unit"] if dated else "",
                "stages": "; ".join(sorted({r["stage"] for r in dated if r["stage"]})),
                "source": newest["source"],
            }
        )
    return out


def render(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if evidence.csv is stale")
    args = parser.parse_args()
    text = render(table())
    if args.check:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} minerals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
