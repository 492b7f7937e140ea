"""``sourcing bench``: solve the benchmark instances and check each optimum against its record.

``instances/index.csv`` lists what is checked, one row per (instance, model):

    name               instance folder under instances/ (ladder/… and orlib/capa…, capb… are
                       written on demand by :mod:`sourcing.bench.ladder` and
                       instances/orlib/convert.py)
    tier               small (seconds; run in CI) | medium (a minute) | large (minutes, GBs)
    model              a bundled model name or a model file path relative to the repository
    expected_objective the optimum to reproduce (blank when the expected status is infeasible)
    tolerance          relative tolerance on the objective
    source             published | hand-derived | recorded (by whom and how: see the notes)
    expected_status    optimal (default) | infeasible
    time_limit         seconds (blank: none)
    rel_gap            the MIP relative gap to solve to (blank: the engine's default, 1e-4);
                       0 where the row records the proven optimum of a MIP (see below)
    notes              where the expected value comes from

Each run happens in a fresh child process (forked), so its peak resident memory is its own and a
crash or a runaway solve cannot take the others down. A run passes when the solver proves the
expected status and the objective is within ``tolerance`` of the expected value, relatively:
|objective − expected| ≤ tolerance × max(1, |expected|).

A MIP is solved to a relative gap (1e-4 by default): any plan within the gap of the optimum is a
right answer, so a MIP row checked at the default gap carries a tolerance of at least 1e-4. A
tighter tolerance needs the proven optimum: the row records the optimum proven at rel_gap 0, is
solved at rel_gap 0, and its notes say so ("proven optimum at rel-gap 0");
``tests/test_scaling.py`` holds the index to this, finding the MIP rows with :func:`is_mip`.
"""

from sourcing.bench import ladder
from sourcing.bench.index import (
    INDEX,
    INSTANCES,
    INTEGER_RULES,
    ORLIB_ON_DEMAND,
    PROVEN,
    ROOT,
    SOURCES,
    STATUSES,
    TIERS,
    Entry,
    instance_folder,
    is_mip,
    model_argument,
    read_index,
    select,
    unproven_mip_rows,
)
from sourcing.bench.run import (
    PHASE_PARTS,
    PHASES,
    Run,
    environment,
    judge,
    records,
    run_all,
    run_entry,
    run_isolated,
    write_json,
)

__all__ = [
    "INDEX",
    "INSTANCES",
    "INTEGER_RULES",
    "ORLIB_ON_DEMAND",
    "PHASES",
    "PHASE_PARTS",
    "PROVEN",
    "ROOT",
    "SOURCES",
    "STATUSES",
    "TIERS",
    "Entry",
    "Run",
    "environment",
    "instance_folder",
    "is_mip",
    "judge",
    "ladder",
    "model_argument",
    "read_index",
    "records",
    "run_all",
    "run_entry",
    "run_isolated",
    "select",
    "unproven_mip_rows",
    "write_json",
]
