"""Extract and show: a raw solution becomes the plan a planner reads.

plan        flows, shares, costs, shortfall and duals in the planner's words
explain     why a model is infeasible, by an elastic re-solve
columns     what each column of a plan's tables measures (unit, format)
rounding    numbers to the solver's precision, without floating-point noise
render      a plan as a rich table and as CSV tables
text        tables for people: every number whole, every name as written
"""
