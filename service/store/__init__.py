"""The review store: documents, predictions, reviews and API keys (SQLAlchemy 2, Alembic).

SQLite under the data directory by default; PostgreSQL when ``GRAVEWATCH_DATABASE_URL`` names
one. ``gravewatch db upgrade`` applies the migrations in ``migrations/``.
"""
