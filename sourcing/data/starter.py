"""``sourcing init DIR``: a starting point a planner edits into their own instance.

The starter is package data (``sourcing/templates/starter/``, listed under ``package-data`` in
pyproject.toml so a non-editable install ships it too), copied byte for byte: every table an
instance may have, the optional ones included, a ``model.yaml`` with each rule commented out, and
a ``README.md`` that derives the optimum (17,000 USD) and each rule's, so a planner can check the
first solve by hand. ``tests/test_first_hour.py`` solves the copy against those figures.

Decision: a folder that exists and holds anything is refused unless ``force``; with ``force`` the
starter's files are written over the ones of the same name and every other file is left alone
(never a folder emptied on the planner's behalf).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from sourcing.errors import InputError, Problem

TEMPLATE = files("sourcing") / "templates" / "starter"


def starter_files() -> list[Traversable]:
    """The starter's files, by name."""
    return sorted((f for f in TEMPLATE.iterdir() if f.is_file()), key=lambda f: f.name)


def write_starter(folder: str | Path, force: bool = False) -> list[Path]:
    """Write the starter instance into ``folder`` (created with its parents if missing) and
    return the paths written. Raise :class:`InputError` if ``folder`` is a file, or a folder
    that is not empty and ``force`` is not given."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise _refused(f"{folder} is a file: give a folder to write the instance into")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        clash = sorted(f.name for f in starter_files() if (folder / f.name).exists())
        over = f", overwriting {', '.join(clash)}" if clash else ""
        raise _refused(
            f"{folder} is not empty: choose a new folder, or add --force to write the starter "
            f"into it{over}"
        )
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source in starter_files():
            target = folder / source.name
            target.write_bytes(source.read_bytes())
            written.append(target)
    except OSError as error:
        raise _refused(f"cannot write {error.filename or folder}: {error.strerror}") from None
    return written


def _refused(message: str) -> InputError:
    return InputError([Problem("command line", None, "DIR", message)])
