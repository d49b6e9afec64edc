"""Alembic environment of the history store.

matcher runs the migrations itself when a store is opened (:func:`matcher.app.store.migrate.upgrade`), passing
its connection in ``config.attributes["connection"]``. The ``alembic`` command works too, given a
URL: ``alembic -x url=sqlite:///out/matcher.db upgrade head`` with ``script_location`` pointing here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from matcher.app.store.schema import Base

target_metadata = Base.metadata
config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
