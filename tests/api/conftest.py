"""Fixtures of the access-control tests (test_auth, test_documents): a real node with the
register of ``access_scenario.Register``, served over HTTP on a fake clock.

Modules with their own ``client`` (over the plain ``ledger`` fixture) override it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.api.access_scenario import Clock, Register, make_client
from tests.registry.conftest import Node, node

__all__ = ["app", "client", "node", "register"]  # node: the registry tests' fixture, reused


@pytest.fixture
def register(node: Node) -> Register:
    return Register(node)


@pytest.fixture
def app(register: Register) -> Iterator[tuple[TestClient, Clock]]:
    """The HTTP app over ``register`` (entered) and its auth and rate-limit clock."""
    client, clock = make_client(register.node)
    with client:
        yield client, clock


@pytest.fixture
def client(app: tuple[TestClient, Clock]) -> TestClient:
    return app[0]
