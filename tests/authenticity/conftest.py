"""Fixtures: the brand's register on a fake ledger clock, served by the node's HTTP app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.api.access_scenario import make_client
from tests.authenticity.scenario import Brand
from tests.registry.conftest import Node, node
from tests.registry.test_rights_lifecycle import ms

__all__ = ["brand", "client", "node"]  # node: the registry tests' fixture, reused


@pytest.fixture
def brand(node: Node) -> Brand:
    return Brand(node, ms("2026-09-21"))


@pytest.fixture
def client(brand: Brand) -> Iterator[TestClient]:
    client, _ = make_client(brand.node)
    with client:
        yield client
