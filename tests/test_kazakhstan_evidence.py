"""instances/kazakhstan-partnership/evidence.csv is what its script derives from the bundled
USGS tables, and the instance carries exactly the minerals it shows quantified."""

from __future__ import annotations

import csv
import subprocess
import sys

from tests.conftest import ROOT

FOLDER = ROOT / "instances" / "kazakhstan-partnership"
EVIDENCE = FOLDER / "evidence"


def test_evidence_csv_is_current():
    """Rerunning evidence.py would not change evidence.csv (exit 0 from --check)."""
    done = subprocess.run(
        [sys.executable, str(EVIDENCE / "evidence.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, (
        "evidence.csv is stale: run instances/kazakhstan-partnership/evidence/evidence.py"
    )


def test_the_instance_carries_the_quantified_minerals_and_only_those():
    """15 quantified minerals in evidence.csv; 7 qualitative; the instance's minerals are exactly
    the quantified ones (copper once, though it has two stages)."""
    with (EVIDENCE / "evidence.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    quantified = {r["mineral"].lower() for r in rows if r["evidence"] == "quantified"}
    qualitative = {r["mineral"].lower() for r in rows if r["evidence"] == "qualitative"}
    assert (len(quantified), len(qualitative)) == (15, 7)
    with (FOLDER / "minerals.csv").open(newline="", encoding="utf-8") as f:
        carried = {r["mineral"].lower() for r in csv.DictReader(f)}
    assert carried == quantified
    assert not carried & qualitative
    for row in rows:  # every row names where it comes from
        assert row["source"].strip()
