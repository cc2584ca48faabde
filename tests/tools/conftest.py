"""The index stores (SQLite, and PostgreSQL on loopback) for the finding tools' tests."""

from ..index.conftest import postgres, store

__all__ = ["postgres", "store"]
