"""``sourcing.session.Session``, the path the README gave before the solver package, still answers.

The session lives in :mod:`sourcing.solver.session`; import it as ``sourcing.solver.Session``.
"""

from sourcing.solver.session import Session

__all__ = ["Session"]
