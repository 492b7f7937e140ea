"""Hostile workbooks against ``sourcing validate``: exit code, seconds, peak memory, message.

    python benchmarks/hostile_workbooks.py               # every case, files in a temporary folder
    python benchmarks/hostile_workbooks.py --keep DIR    # keep the files in DIR
    python benchmarks/hostile_workbooks.py --only bomb,rows

Each case is made by ``tests/hostile_workbooks.py`` from the two-stage worked example, at the
sizes of issue 16 (a 1.1 GB shared-strings part, 2 million rows), then checked in a fresh process
as a planner would run it. The last cases are the largest the limits let through, to show what
reading costs at the bound. Figures for docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sourcing.data.workbook.reading import MAX_INFLATED_BYTES, MAX_SHEET_ROWS  # noqa: E402
from tests.hostile_workbooks import (  # noqa: E402
    base_workbook,
    many_rows,
    replace_in_sheet,
    shared_strings_bomb,
    with_sheet_data,
)


def numbered_rows(rows: int) -> Iterable[bytes]:
    """``rows`` rows of four numbers each, every one different (compresses like real data)."""
    for start in range(2, rows + 2, 10_000):
        yield b"".join(
            b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>%d.5</v></c>'
            b'<c r="C%d"><v>%d</v></c><c r="D%d"><v>%d</v></c></row>'
            % (i, i, i, i, i * 7 % 9973, i, i * 31 % 104729, i, i % 977)
            for i in range(start, min(start + 10_000, rows + 2))
        )


def many_parts(out: Path, parts: int) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(parts):
            archive.writestr(f"xl/{i:0>60}.xml", b"")
    return out


def with_formula(base: Path, out: Path, formula: str) -> Path:
    import openpyxl

    book = openpyxl.load_workbook(base)
    book["supply"]["D3"] = formula
    book.save(out)
    return out


def cases(base: Path) -> dict[str, Callable[[Path], Path]]:
    data = base.read_bytes() if base.exists() else b""
    middle = len(data) // 2
    return {
        "base": base_workbook,
        "bomb": lambda out: shared_strings_bomb(base, out, 1_100_000_000),
        "rows": lambda out: with_sheet_data(base, out, "transport", numbered_rows(2_000_000)),
        "empty-rows": lambda out: many_rows(base, out, "transport", 2_000_000, b"<row/>"),
        "row-jump": lambda out: replace_in_sheet(
            base, out, "transport", b'<row r="2">', b'<row r="1048576">'
        ),
        "column-xfd": lambda out: replace_in_sheet(
            base, out, "transport", b'<c r="C2"', b'<c r="XFD2"'
        ),
        "parts": lambda out: many_parts(out, 300_000),
        "entity": lambda out: replace_in_sheet(
            base, out, "supply", b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "CHL">]><worksheet'
        ),
        "formula": lambda out: with_formula(base, out, "=20*2"),
        "div0": lambda out: with_formula(base, out, "=1/0"),
        "text": lambda out: (out.write_text("mineral,stage\n"), out)[1],
        "cut": lambda out: (out.write_bytes(data[:middle]), out)[1],
        "garbled": lambda out: (
            out.write_bytes(data[:middle] + b"\xff" * 64 + data[middle + 64 :]),
            out,
        )[1],
        # the largest the limits let through (valid instances: the extra data is never used)
        "strings-at-limit": lambda out: shared_strings_bomb(base, out, MAX_INFLATED_BYTES - 2**20),
        "rows-at-limit": lambda out: with_sheet_data(
            base, out, "yields", numbered_rows(MAX_SHEET_ROWS - 1)
        ),
    }


def inflated(path: Path) -> str:
    """The sizes the zip's directory declares, added up ("-" if it is no zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return f"{sum(info.file_size for info in archive.infolist()):,}"
    except (zipfile.BadZipFile, OSError):
        return "-"


def measure(path: Path) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak resident MB and the first problem line of a validate run."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "sourcing.cli", "validate", str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - start
        out.seek(0)
        lines = [line.strip() for line in out.read().splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith("- ")), lines[0] if lines else "")
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--make", help=argparse.SUPPRESS)  # NAME:BASE:OUT, in a child process
    args = parser.parse_args()
    if args.make:  # made apart, so that this process stays small: a child's peak memory
        name, base, out = args.make.split(":")  # counts its parent's at the time of its start
        print(inflated(cases(Path(base))[name](Path(out))))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / "base.xlsx"
        make = [sys.executable, __file__, "--make", f"base:{base}:{base}"]
        subprocess.run(make, check=True, capture_output=True)
        names = args.only.split(",") if args.only else [n for n in cases(base) if n != "base"]
        print("| case | on disk | inflated | exit | seconds | peak MB | message |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for name in names:
            path = folder / f"{name}.xlsx"
            make = [sys.executable, __file__, "--make", f"{name}:{base}:{path}"]
            made = subprocess.run(make, check=True, capture_output=True, text=True)
            size = path.stat().st_size
            code, seconds, peak, said = measure(path)
            row = f"{name} | {size:,} | {made.stdout.strip()} | {code} | {seconds:.1f} | {peak:.0f}"
            print(f"| {row} | {said} |", flush=True)


if __name__ == "__main__":
    main()
