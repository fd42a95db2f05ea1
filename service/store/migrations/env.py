"""Alembic environment: the URL comes from the caller (``db.upgrade``)."""

from alembic import context
from sqlalchemy import create_engine

from service.store.tables import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
