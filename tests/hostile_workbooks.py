"""Hostile workbooks, made cheaply: a real instance workbook whose parts are rewritten as bytes.

What is meant to be big is highly compressible (one string or one row repeated), so a file that
inflates past any limit is written in a fraction of a second and weighs a few kB or MB on disk.
Used by ``tests/test_hostile_workbook.py`` (just past each limit) and
``benchmarks/hostile_workbooks.py`` (the sizes reported in issue 16).
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sourcing.data.io import load_instance
from sourcing.data.workbook import write_instance

ROOT = Path(__file__).resolve().parent.parent
TWO_STAGE = ROOT / "instances" / "examples" / "least-cost-two-stage"
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_REL = (
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
CHUNK = 2**20


def base_workbook(path: Path) -> Path:
    """The two-stage worked example as a workbook (every sheet of an instance, valid)."""
    write_instance(load_instance(TWO_STAGE), path)
    return path


def rewrite(
    source: Path,
    out: Path,
    change: Callable[[str, bytes], bytes] | None = None,
    add: dict[str, Iterable[bytes]] | None = None,
    method: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Copy ``source`` to ``out``: each part through ``change(name, data)``, then the parts in
    ``add`` written chunk by chunk (never held whole in memory)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", method) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(info.filename, data) if change else data)
        for name, chunks in (add or {}).items():
            with new.open(name, "w") as part:
                for chunk in chunks:
                    part.write(chunk)
    return out


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member holding ``sheet`` (from the workbook's sheet list and its relations)."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    rel = re.search(rf'<sheet name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', book)
    assert rel, f"no sheet {sheet}"
    target = re.search(rf'<Relationship [^>]*Target="/?([^"]+)" Id="{rel[1]}"', rels)
    assert target, f"no relation {rel[1]}"
    return target[1]


def repeated(unit: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Iterable[bytes]:
    """``head``, then ``unit`` repeated to about ``total`` bytes, then ``tail``, in chunks."""
    yield head
    block = unit * max(1, CHUNK // len(unit))
    written = 0
    while written + len(block) <= total:
        yield block
        written += len(block)
    yield unit * ((total - written) // len(unit))
    yield tail


def shared_strings_bomb(source: Path, out: Path, inflated: int) -> Path:
    """A workbook whose ``sharedStrings.xml`` (declared, related, well-formed) inflates to
    ``inflated`` bytes of one short string repeated: a few kB on disk per 100 MB inflated."""

    def declare(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>'
            return data.replace(b"</Types>", override % SHARED_STRINGS_TYPE + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            rel = b'<Relationship Id="rIdStrings" Type="%s" Target="sharedStrings.xml"/>'
            return data.replace(b"</Relationships>", rel % SHARED_STRINGS_REL + b"</Relationships>")
        return data

    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s">' % MAIN
    strings = repeated(b"<si><t>lithium</t></si>", inflated, head, b"</sst>")
    return rewrite(source, out, declare, {"xl/sharedStrings.xml": strings})


def with_sheet_data(source: Path, out: Path, sheet: str, rows: Iterable[bytes]) -> Path:
    """``sheet``'s rows replaced by ``rows`` (the bytes inside ``<sheetData>``), streamed."""
    member = sheet_part(source, sheet)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        xml = old.read(member)
        for info in old.infolist():
            if info.filename != member:
                new.writestr(info.filename, old.read(info.filename))
        with new.open(member, "w") as part:
            part.write(xml[: xml.index(b"<sheetData>") + len(b"<sheetData>")])
            for chunk in rows:
                part.write(chunk)
            part.write(xml[xml.index(b"</sheetData>") :])
    return out


def many_rows(
    source: Path, out: Path, sheet: str, rows: int, row: bytes = b"<row><c><v>1</v></c></row>"
) -> Path:
    """``sheet`` holding ``rows`` copies of ``row`` (by default one number each)."""
    return with_sheet_data(source, out, sheet, repeated(row, rows * len(row)))


def replace_in_sheet(source: Path, out: Path, sheet: str, old: bytes, new: bytes) -> Path:
    """``sheet``'s XML with ``old`` replaced by ``new`` once (``old`` must be there)."""
    member = sheet_part(source, sheet)

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        assert old in data, f"{old!r} not in {sheet}"
        return data.replace(old, new, 1)

    return rewrite(source, out, change)


def lie_about_size(path: Path, member: str, declared: int) -> Path:
    """Make the zip's directory and the part's local header declare ``declared`` bytes for
    ``member`` while its data still inflates to its true size: a zip that lies."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # (signature, offset of the inflated size, offset of the name's length, header length)
    for signature, size_at, length_at, header in (
        (b"PK\x01\x02", 24, 28, 46),
        (b"PK\x03\x04", 22, 26, 30),
    ):
        at = data.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", data, at + length_at)
            if data[at + header : at + header + length] == name:
                struct.pack_into("<I", data, at + size_at, declared)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path
