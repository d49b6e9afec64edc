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
    """Apply the migrations to ``engine``'s database up to ``revision``."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
