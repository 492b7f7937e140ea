"""Our own clause: China and Kazakhstan together supply at most 60 t of our gallium.

cd examples/extensions && sourcing solve gallium.yaml --extend china-kazakhstan-cap.py
"""

import pyomo.environ as pyo

CAP = 60  # t


def extend(model):
    # supply is indexed (mineral, period, stage, country); the period is "" without periods
    chosen = [k for k in model.supply if k[0] == "gallium" and k[3] in ("CHN", "KAZ")]
    model.china_kazakhstan_cap = pyo.Constraint(expr=sum(model.supply[k] for k in chosen) <= CAP)
