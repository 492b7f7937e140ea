"""Alembic's environment: migrations run on the connection :mod:`sourcing.service.migrate`
opened (inside its transaction and lock), never on a URL from a configuration file."""

from __future__ import annotations

from alembic import context

from sourcing.service.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
