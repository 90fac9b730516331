"""Shared fixtures for the log layer tests."""

from __future__ import annotations

import pytest
from logref import BigTree, make_big_tree


@pytest.fixture(scope="session")
def big_tree() -> BigTree:
    """A tree of BIG_SIZE leaves (crossing level-1 and level-2 tiles) and its tiles."""
    return make_big_tree()
