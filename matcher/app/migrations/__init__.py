"""Alembic migrations of the history store (see matcher.app.store)."""
