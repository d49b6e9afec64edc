"""Bringing a store's schema up to date with the Alembic migrations shipped in
``matcher/app/migrations``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

__all__ = ["alembic_config", "upgrade", "MIGRATIONS"]

#: The Alembic script folder (package data, see setup.cfg).
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Any:
    """An Alembic configuration for the migrations shipped with matcher."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the migrations to ``engine``'s database up to ``revision``.

    Safe when several processes open a new database at once: on SQLite the transaction holds the
    write lock from its start (:func:`~matcher.app.store.engine.make_engine`), on PostgreSQL an
    advisory lock; the second process then finds the schema up to date.
    """
    from alembic import command

    from matcher.app.store.engine import MIGRATION_LOCK

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)
