"""The jobs database's schema history, as Alembic migrations (:mod:`sourcing.service.migrate`
runs them; they ship inside the package, so an installed ``sourcing serve`` upgrades its own
database). ``versions/`` holds one script per revision, oldest first:

    0001_base     the tables as the service created them before it had migrations
    0002_leases   each running job's holder and lease (several servers on one database)
"""
