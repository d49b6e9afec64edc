"""The store's database engine, set up so several processes can share one database.

Two batches may write the same store at once (and a Dask batch's caller while a user lists the
runs). The engine makes that safe on both databases matcher supports:

* **SQLite** serialises writers with a file lock. A transaction that reads and then writes can
  find another writer ahead of it and fail at once with "database is locked" (waiting could
  deadlock, so SQLite does not). Every transaction therefore starts with ``BEGIN IMMEDIATE``,
  taking the write lock first, and waits up to :data:`SQLITE_TIMEOUT` seconds for it. The
  transactions are short (one run, or one read), so they queue rather than fail.
* **PostgreSQL** runs concurrent transactions; the store's inserts of shared rows (programmes,
  cohorts, profiles) skip rows a concurrent transaction added (``ON CONFLICT DO NOTHING``), and
  migrations hold an advisory lock (:data:`MIGRATION_LOCK`) so two processes opening a new
  database do not both create its tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["make_engine", "insert_new", "SQLITE_TIMEOUT", "MIGRATION_LOCK"]

#: Seconds a SQLite transaction waits for another process's write to finish.
SQLITE_TIMEOUT = 120.0

#: The PostgreSQL advisory lock key held while migrating (any fixed 64-bit number; "matcher" in ASCII).
MIGRATION_LOCK = 0x6D617463686572


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; see the module's description for what it does per database."""
    if sa.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})

    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, record: Any) -> None:
        # the sqlite3 module would BEGIN (deferred) itself; the begin hook below says how instead
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def insert_new(session: Any, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, leaving out any whose unique key is already taken, by this transaction or a
    concurrent one (on SQLite and PostgreSQL; elsewhere a plain insert, callers check first)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        session.execute(sa.insert(model), rows)
        return
    session.execute(insert(model).on_conflict_do_nothing(), rows)
