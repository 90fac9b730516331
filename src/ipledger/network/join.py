"""Join a shared ledger: copy a peer's log up to a final checkpoint, verify all of it, then
take the rest from the stream.

The trust anchor is a finality proof (a checkpoint cosigned by a quorum of the members in
``network.json``), not the peer: every entry fetched from the peer's tlog tiles must hash
to the proof's root and replay to its state root. The proof's stream position tells the
node where in the stream to go on.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx

from ipledger.ledger.tile_source import open_tile_source
from ipledger.network.config import NETWORK_FILE, NetworkConfig, NetworkConfigError
from ipledger.network.finality import FINAL_META, body_stream_seq, verify_finality
from ipledger.network.mirror import append_verified
from ipledger.network.shared_ledger import STREAM_SEQ_META
from ipledger.node import NodeConfig
from ipledger.storage.base import StoredCheckpoint


@dataclass(frozen=True)
class Joined:
    tree_size: int
    stream_seq: int
    cosigned_by: list[str]


def join_from_peer(data: Path, peer: str, *, timeout: float = 30.0) -> Joined:
    """Fill the new (empty) node in ``data`` from ``peer``'s latest final checkpoint."""
    network = NetworkConfig.load(data / NETWORK_FILE)
    response = httpx.get(f"{peer.rstrip('/')}/v1/network/finality", params={"size": 1},
                         timeout=timeout)
    if response.status_code != 200:
        raise NetworkConfigError(f"the peer has no finality proof to join from "
                                 f"(HTTP {response.status_code}: {response.text[:200]})")
    proof = response.text
    checkpoint, members = verify_finality(proof, network)
    stream_seq = body_stream_seq(checkpoint)
    if stream_seq is None:
        raise NetworkConfigError("the final checkpoint names no stream position")
    with closing(NodeConfig.load(data).open_store()) as store:
        if store.tree_size() != 0:
            raise NetworkConfigError("join fills a new node; a node with entries catches up "
                                     "from the stream by itself")
        source = open_tile_source(f"{peer.rstrip('/')}/tlog/", timeout=timeout)
        try:
            append_verified(store, source, StoredCheckpoint(checkpoint.tree_size, proof),
                            checkpoint, network.genesis)
        finally:
            source.close()
        store.set_meta(STREAM_SEQ_META, str(stream_seq))
        store.set_meta(FINAL_META, proof)
    return Joined(checkpoint.tree_size, stream_seq, members)
