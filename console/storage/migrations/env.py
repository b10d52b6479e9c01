"""Alembic environment: runs on the connection handed over by console.storage.migrate."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the clinical record's migrations through console.storage.migrate")

# Migrations name every constraint themselves, so they never depend on today's models.
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
