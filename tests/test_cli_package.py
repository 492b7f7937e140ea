"""The command line split by command group keeps its old face: the names ``sourcing.cli`` had,
the commands in the order ``sourcing --help`` lists them, and one options object whose fields
are the keywords of every entry point it is handed to."""

import inspect

import pytest

import sourcing
from sourcing import cli
from sourcing.analysis import alternatives, compare, frontier, hedge, stress
from sourcing.solver.options import SolveOptions


def test_the_old_module_names_still_import():
    for name in ("app", "main", "export", "solve", "report", "Format", "err", "EXIT_MISMATCH"):
        assert hasattr(cli, name), name
    assert (cli.EXIT_OK, cli.EXIT_BUG, cli.EXIT_INPUT, cli.EXIT_INFEASIBLE) == (0, 1, 2, 3)
    assert (cli.EXIT_NO_SOLUTION, cli.EXIT_MISMATCH) == (4, 5)


def test_commands_are_listed_in_the_order_they_always_were():
    names = [command.callback.__name__ for command in cli.app.registered_commands]
    assert names == [
        "solve",
        "validate",
        "schema",
        "export",
        "models",
        "bench",
        "serve",
        "scenarios",
        "compare",
        "stress",
        "frontier",
        "report",
        "convert",
        "init",
        "hedge",  # issue 14: added after the commands that were
        "alternatives",
        "sweep",  # issue 15
    ]


@pytest.mark.parametrize("entry", [sourcing.solve, compare, stress, frontier, hedge, alternatives])
def test_solve_options_are_keywords_of_every_entry_point(entry):
    options = SolveOptions(time_limit=5.0, rel_gap=0.01, threads=2, strict=True)
    parameters = inspect.signature(entry).parameters
    keywords = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for name in options.kwargs():
        assert name in parameters, f"{entry.__name__} lacks {name}"
        assert parameters[name].kind in keywords


def test_solve_options_are_frozen():
    options = SolveOptions()
    assert options.kwargs() == {
        "time_limit": None,
        "rel_gap": None,
        "threads": None,
        "strict": False,
    }
    with pytest.raises(AttributeError):
        options.threads = 4  # type: ignore[misc]
