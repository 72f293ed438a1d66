"""System of record: SQLAlchemy 2 tables, Alembic migrations, sessions."""

from core.storage.base import Base
from core.storage.db import make_engine, make_session_factory, migrate, open_database

__all__ = ["Base", "make_engine", "make_session_factory", "migrate", "open_database"]
