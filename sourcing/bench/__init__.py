"""``sourcing bench``: solve the benchmark instances and check each optimum against its record.

index     instances/index.csv: which (instance, model) pairs are checked, against what record
run       each entry solved in a fresh child process, judged against its record
table     the table a planner reads
ladder    the seeded synthetic instances of growing size, written on demand
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
