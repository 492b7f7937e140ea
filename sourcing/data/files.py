"""Every input file is opened here: regular files only, bounded in size, and YAML/JSON documents
parsed strictly.

Limits (also in the README's "Instances"); a refusal names the file, the limit and what it
found, and comes before the file is parsed:

    MAX_FILE_BYTES     100 MiB    a CSV table, a JSON document, a workbook (its compressed size)
    MAX_YAML_BYTES       4 MiB    a YAML document (instance.yaml, a model, a scenario, an instance)
    MAX_TABLE_ROWS   1,000,000    rows of one table: a CSV file has at most one line more (its
                                  header; blank lines count, as they are rows), a document's
                                  table at most this many records
    MAX_DEPTH               50    nesting of a document, the document itself being level 1 (the
                                  format needs 5: scenario → changes → change → suspended → window)
    MAX_NUMBER_CHARS       100    digits of a number (:mod:`sourcing.data.numeric`)

Why these numbers: the largest bundled tables have 100,000 rows (the OR-Library capa/capb
lanes, 2.8 MB) and the ladder's largest rung, lp-3m, has 39,800 lanes and 30,000 offers for its
3 million flow variables; ten times the first is allowed. A table of 999,000 lanes (17 MB)
validates in about 15 s and 0.85 GB; a 150 MB supply.csv of 3.1 million rows is refused in a
second, before it is read. A CSV file's lines are counted before it is parsed (a row takes at
least one line). YAML is built by PyYAML object by object, even with libyaml about a hundred
times slower than JSON (7.6 MB took 17 s): larger data belongs in CSV files or JSON.

Special files. A file is opened without blocking (a FIFO would wait for a writer for ever) and
checked on the open descriptor (so the file checked is the file read): a FIFO, a device such as
``/dev/zero`` or a folder is refused without reading a byte; a symlink to a regular file is
followed.

Documents. JSON is read by the standard library, YAML by libyaml (PyYAML's ``CSafeLoader``; its
pure-Python loader when libyaml is missing), and both alike:

- a key given twice in one mapping is an error naming the key and its line (both parsers would
  keep the last one silently); a YAML merge (``<<: *base``) may still be overridden;
- YAML scalars follow the YAML 1.2 core schema: only ``true``/``false`` are booleans (``yes``,
  ``no``, ``on``, ``off`` and Norway's ``NO`` are text) and only plain decimal numbers are
  numbers (``1_000``, ``0x10``, ``1:30`` are text, which a number field refuses; ``010`` is 10,
  where YAML 1.1 read 8). Dates stay dates (scenarios use them);
- an integer of more than ``MAX_NUMBER_CHARS`` digits, a document nested more than
  ``MAX_DEPTH`` levels, a YAML scalar its tag cannot read (``!!int abc``, a 30 February) are
  errors with their line and column, not a crash.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import yaml

from sourcing.data.numeric import MAX_NUMBER_CHARS
from sourcing.errors import InputError, Problem

MIB = 1 << 20
MAX_FILE_BYTES = 100 * MIB
MAX_YAML_BYTES = 4 * MIB
MAX_TABLE_ROWS = 1_000_000
MAX_DEPTH = 50


class DocumentError(ValueError):
    """A document that cannot be read: what is wrong, and where (``at line L, column C``)."""


# -- files ---------------------------------------------------------------------------------


def _refuse(table: str, message: str) -> NoReturn:
    raise InputError([Problem(table, None, None, message)])


def size_text(n: int) -> str:
    return f"{n:,} bytes" + (f" ({n / MIB:,.1f} MiB)" if n >= MIB else "")


@contextmanager
def open_regular(
    path: Path, table: str, limit: int = MAX_FILE_BYTES, kind: str = "an input file"
) -> Iterator[BinaryIO]:
    """``path`` open for binary reading, if it is a regular file of at most ``limit`` bytes;
    otherwise an :class:`InputError` for ``table`` naming the file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        _refuse(table, f"cannot read {path.name}: {error.strerror or error}")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            _refuse(table, f"{path.name} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            _refuse(table, f"{path.name} is not a regular file (a device, FIFO or socket)")
        _refuse(
            table,
            f"{path.name} is {size_text(info.st_size)}: {kind} may have at most {size_text(limit)}",
        )
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_bytes(
    path: Path, table: str, limit: int = MAX_FILE_BYTES, kind: str = "an input file"
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (even if it grows while read)."""
    with open_regular(path, table, limit, kind) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        _refuse(table, f"{path.name} grew past {size_text(limit)} while it was read")
    return data


def check_regular(path: Path, table: str, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse ``path`` unless it is a regular file of at most ``limit`` bytes (for a file another
    library opens, such as a workbook)."""
    with open_regular(path, table, limit):
        pass


# -- documents -----------------------------------------------------------------------------


def read_document(path: Path, table: str) -> dict[str, Any]:
    """A YAML or JSON document (by suffix) holding a mapping; :class:`InputError` otherwise."""
    is_json = path.suffix.lower() == ".json"
    if is_json:
        raw = read_bytes(path, table, MAX_FILE_BYTES)
    else:
        raw = read_bytes(path, table, MAX_YAML_BYTES, "a YAML document (larger data: CSV or JSON)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(table, f"{path.name} is not UTF-8 text")
    try:
        data = parse_json(text) if is_json else parse_yaml(text)
    except DocumentError as error:
        _refuse(table, f"cannot read {path.name}: {error}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        _refuse(table, f"{path.name} must hold a mapping of keys")
    return data


def _at(text: str, position: int | None) -> str:
    """`` at line L, column C`` of a position in ``text`` (nothing if it is unknown)."""
    if position is None or position < 0:
        return ""
    line = text.count("\n", 0, position) + 1
    return f" at line {line}, column {position - text.rfind(chr(10), 0, position)}"


def _too_long(digits: str) -> str:
    return f"a number of {len(digits.lstrip('+-')):,} digits (at most {MAX_NUMBER_CHARS})"


def _deeper(limit: int) -> str:
    return f"nested more than {limit} levels deep"


# -- JSON ------------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key
        self.position: int | None = None


class _LongInteger(Exception):
    def __init__(self, digits: str):
        self.digits = digits


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return mapping


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_CHARS:
        raise _LongInteger(digits)
    return int(digits)


def parse_json(text: str) -> Any:
    """A JSON document, strictly: see the module docstring."""
    try:
        data = json.loads(text, object_pairs_hook=_unique, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise DocumentError(f"{error.msg} at line {error.lineno}, column {error.colno}") from None
    except _DuplicateKey as error:
        raise DocumentError(
            f"duplicate key '{error.key}' in the object{_at(text, _duplicate_at(text))}"
        ) from None
    except _LongInteger as error:
        raise DocumentError(_too_long(error.digits) + _at(text, text.find(error.digits))) from None
    except RecursionError:
        raise DocumentError(_deeper(MAX_DEPTH) + _at(text, _deep_at(text))) from None
    if _depth(data) > MAX_DEPTH:
        raise DocumentError(_deeper(MAX_DEPTH) + _at(text, _deep_at(text)))
    return data


def _depth(value: Any) -> int:
    """How deep lists and mappings nest in a parsed JSON document (a tree), level by level; one
    pass over its values (about a second for a million rows), stopping past ``MAX_DEPTH``."""
    level, depth = [value] if isinstance(value, _CONTAINERS) else [], 0
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [
            c
            for v in level
            for c in (v.values() if type(v) is dict else v)
            if isinstance(c, _CONTAINERS)
        ]
    return depth


_CONTAINERS = (dict, list)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_at(text: str) -> int | None:
    """Where a JSON text first nests more than ``MAX_DEPTH`` levels (strings skipped)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def _duplicate_at(text: str) -> int | None:
    """Where the object holding a duplicate key starts: found again by the standard library's
    pure-Python parser, whose objects know where they start (only after an error)."""
    decoder = json.JSONDecoder(object_pairs_hook=_unique)

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]  # private, not in typeshed
        except _DuplicateKey as error:
            if error.position is None:  # the innermost object: the one holding the key
                error.position = s_and_end[1] - 1
            raise

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    # parse_object, scan_once and py_make_scanner: the pure-Python parser's internals, untyped
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except _DuplicateKey as error:
        return error.position
    except (RecursionError, ValueError, _LongInteger):  # pragma: no cover - found first by json
        return None
    return None  # pragma: no cover - the C parser found a duplicate


# -- YAML ------------------------------------------------------------------------------------

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_CORE = {_TAG + "bool", _TAG + "int", _TAG + "float"}
_INT = re.compile(r"^[-+]?[0-9]+$")


class _Loader(_BASE):
    """PyYAML's safe loader with the YAML 1.2 core schema's booleans and numbers, and the checks
    of the module docstring."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _CORE]
        for first, resolvers in _BASE.yaml_implicit_resolvers.items()
    }

    def construct_document(self, node: yaml.Node) -> Any:
        _check_depth(node)
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            value = str(node.value)[:40] if isinstance(node, yaml.ScalarNode) else "value"
            problem = f"cannot read {node.tag.removeprefix(_TAG)} '{value}'"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                continue
            key = self.construct_object(key_node)
            if key in first:
                line = first[key].start_mark.line + 1
                problem = f"duplicate key '{key}' (first at line {line})"
                raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
            first[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if not _INT.match(node.value):
            problem = f"'{node.value[:40]}' is not a whole number in plain decimal"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
        if len(node.value.lstrip("+-")) > MAX_NUMBER_CHARS:
            raise yaml.constructor.ConstructorError(
                None, None, _too_long(node.value), node.start_mark
            )
        return int(node.value, 10)


_Loader.add_implicit_resolver(
    _TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(_TAG + "int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver(
    _TAG + "float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Loader.add_constructor(_TAG + "int", _Loader.construct_yaml_int)


def _check_depth(root: yaml.Node) -> None:
    """Refuse a node tree nested more than ``MAX_DEPTH`` levels, at the first node too deep.
    Each node is visited once (an alias shares its anchor's node)."""
    level = [root] if isinstance(root, yaml.CollectionNode) else []
    seen: set[int] = {id(root)}
    for depth in range(1, MAX_DEPTH + 2):
        if not level:
            return
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, _deeper(MAX_DEPTH), level[0].start_mark)
        children = []
        for node in level:
            items = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else chain.from_iterable(node.value)
            )
            for child in items:
                if isinstance(child, yaml.CollectionNode) and id(child) not in seen:
                    seen.add(id(child))
                    children.append(child)
        level = children


def parse_yaml(text: str) -> Any:
    """A YAML document, strictly: see the module docstring."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise DocumentError(_yaml_problem(error)) from None
    except RecursionError:  # only PyYAML's pure-Python composer recurses (no libyaml)
        raise DocumentError(_deeper(MAX_DEPTH)) from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    """A parser error in one line: what is wrong, and where."""
    mark = getattr(error, "problem_mark", None)
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{what}{where}"
