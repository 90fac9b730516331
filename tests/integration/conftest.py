"""Every integration test runs against both store backends."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spec(request: pytest.FixtureRequest) -> str | None:
    """``None`` for the default SQLite file, else a fresh PostgreSQL database URL."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_dsn"))
    return None
