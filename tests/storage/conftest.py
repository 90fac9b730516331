"""The storage conformance fixture: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ipledger.storage.postgresql import PostgreSQLStore
from ipledger.storage.sql import SQLStore
from ipledger.storage.sqlite import SQLiteStore

Backend = Callable[[], SQLStore]


@pytest.fixture(params=["sqlite", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Opens the same store (one SQLite file, or one fresh PostgreSQL database) again and
    again; every store opened is closed after the test."""
    stores: list[SQLStore] = []
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgresql" else None

    def factory() -> SQLStore:
        store: SQLStore = PostgreSQLStore(dsn) if dsn else SQLiteStore(tmp_path / "store.sqlite")
        stores.append(store)
        return store

    yield factory
    for store in stores:
        store.close()
