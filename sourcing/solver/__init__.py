"""Solving: the one place that talks to HiGHS, and the one vocabulary of how a solve ended.

    options    what a planner sets about a solve (time limit, gap, threads, strict), checked once
    scaling    the model's numbers in the range HiGHS is built for, and the answers back
    highs      the adapter: hand the matrix to HiGHS, run it, read the solution (a single solve)
    session    a model kept in HiGHS between solves: the warm re-solves of stress and frontier
    status     termination condition, solution status, outcome word, has-a-plan, exit code
    start      a MIP's starting plan (above the adapter: it only calls :func:`solve_lp`)
    pricing    a MIP plan's duals: its binary choices fixed, the LP re-solved (one function)

Everything a caller needs is importable from here; inside the package each module imports the
one it builds on, so no module needs another that needs it back.
"""

from sourcing.solver.highs import handoff, read_solution, solve_lp
from sourcing.solver.options import SolveOptions, SolverOptions, option_problem
from sourcing.solver.pricing import binary_choices, price
from sourcing.solver.session import Session
from sourcing.solver.start import solve_with_start, starting_plan
from sourcing.solver.status import (
    EXIT_BUG,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    OPTIMAL_GAP,
    RawSolution,
    SolutionStatus,
    TerminationCondition,
    exit_code,
    has_plan,
    outcome,
    relative_gap,
)

__all__ = [
    "EXIT_BUG",
    "EXIT_INFEASIBLE",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "OPTIMAL_GAP",
    "RawSolution",
    "Session",
    "SolutionStatus",
    "SolveOptions",
    "SolverOptions",
    "TerminationCondition",
    "binary_choices",
    "exit_code",
    "handoff",
    "has_plan",
    "option_problem",
    "outcome",
    "price",
    "read_solution",
    "relative_gap",
    "solve_lp",
    "solve_with_start",
    "starting_plan",
]
