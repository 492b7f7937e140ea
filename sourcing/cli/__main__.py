"""``python -m sourcing.cli ...``: the ``sourcing`` command (the tests run it this way)."""

from sourcing.cli import main

main()
