"""Alembic's environment for the lessons database: run by :func:`fer.storage.engine.upgrade_to_head`
on the connection it opened (``config.attributes["connection"]``), never from an ini file."""

from __future__ import annotations

from alembic import context

from fer.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the lessons database's migrations with fer.storage.engine.upgrade_to_head(engine)")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
