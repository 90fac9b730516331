"""Every network test starts and ends with the whole three-server NATS cluster up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.network.nats_cluster import NatsCluster
from tests.network.offices import Offices


@pytest.fixture
def cluster(nats_cluster: NatsCluster) -> Iterator[NatsCluster]:
    nats_cluster.recover()  # even if an earlier test failed half-way through a fault
    yield nats_cluster
    nats_cluster.recover()


@pytest.fixture
def offices(tmp_path: Path, cluster: NatsCluster,
            request: pytest.FixtureRequest) -> Iterator[Offices]:
    stream = "T" + hashlib.sha256(request.node.name.encode()).hexdigest()[:12].upper()
    group = Offices(tmp_path, cluster, stream)
    try:
        yield group
    finally:
        group.close_all()
