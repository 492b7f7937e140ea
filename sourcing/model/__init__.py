"""Build: index the validated data, then assemble the LP/MIP as named blocks of arrays.

    index          sparse tables of what the data allows (offers, lanes, sites)
    consistency    checks a schema cannot see (warnings, errors under --strict)
    lp             the linear program as named variable and constraint families, each with a role
    network        supply, lanes, stage volumes, demand (role: network)
    contracts      fixed costs and minimum quantities (role: contract)
    rules          one module per policy rule, registered by its spec class (role: rule)
    build          the table of contents: network, then contracts, then each rule, then extensions
    pyomo_model    the same formulation as a Pyomo model, for export and extension
    extension      a planner's own Pyomo clauses (--extend) appended to the arrays (role: extension)

The formulation is written in each family's docstring and checked against ``models/README.md``.
"""
