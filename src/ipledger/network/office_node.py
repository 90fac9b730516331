"""An office's node for a shared ledger: a node directory plus the office's cosigner key.

``DATA/network.json`` describes the network (see :mod:`ipledger.network.config`);
``DATA/keys/cosigner.key`` is the office's cosigner key and ``DATA/cosigner.vkey`` its
verifier key (``<office>+<key id>+<key>``, signature type 0x04) that goes into the
network description.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ipledger.codec import parse_json
from ipledger.identity import CosignatureSigner, SigningKey, read_private_key, write_private_key
from ipledger.log.cosignature import parse_cosigner_vkey
from ipledger.network.config import NETWORK_FILE, NetworkConfig, NetworkConfigError
from ipledger.network.shared_ledger import SharedLedger
from ipledger.node import SQLITE_FILE, NodeConfig, init_node, open_ledger
from ipledger.registry.families.network import MEMBERS_RECORD

if TYPE_CHECKING:
    from ipledger.config import Config

COSIGNER_KEY_FILE = "keys/cosigner.key"
COSIGNER_VKEY_FILE = "cosigner.vkey"


def init_office_node(data: Path, ledger: str, office: str, genesis: str,
                     store: str = SQLITE_FILE) -> str:
    """Create an office's node of the shared ledger ``ledger``; return its cosigner vkey."""
    init_node(data, ledger, store, genesis=genesis)
    signer = CosignatureSigner(office, SigningKey.generate())
    write_private_key(data / COSIGNER_KEY_FILE, signer.key)
    vkey = signer.verifier_key()
    (data / COSIGNER_VKEY_FILE).write_text(vkey + "\n")
    return vkey


def office_cosigner(data: Path) -> CosignatureSigner:
    name, _ = parse_cosigner_vkey((data / COSIGNER_VKEY_FILE).read_text())
    return CosignatureSigner(name, read_private_key(data / COSIGNER_KEY_FILE))


def check_membership(data: Path, network: NetworkConfig) -> None:
    """The node belongs to this network: same ledger, same genesis, its key a member's."""
    node = NodeConfig.load(data)
    if node.origin != network.ledger:
        raise NetworkConfigError(f"the node keeps {node.origin!r}; the network is "
                                 f"{network.ledger!r}")
    if node.genesis != network.genesis:
        raise NetworkConfigError("the node's genesis key is not the network's")
    vkey = (data / COSIGNER_VKEY_FILE).read_text().strip()
    name, _ = parse_cosigner_vkey(vkey)
    if network.member(name).cosigner == vkey:
        return
    # Governance may have rotated the key since network.json was written: the register
    # (record network/members) is the authority then.
    store = node.open_store()
    try:
        raw = store.read_record(MEMBERS_RECORD)
    finally:
        store.close()
    current = {m["name"]: m["cosigner"] for m in parse_json(raw)["members"]} if raw else {}
    if current.get(name) != vkey:
        raise NetworkConfigError(f"neither network.json nor the register lists this node's "
                                 f"cosigner key for {name!r}")


def open_shared_ledger(data: Path, nats_urls: Sequence[str], settings: Config | None = None,
                       **options: object) -> SharedLedger:
    """Open the office node in ``data`` and join the network's stream at ``nats_urls``."""
    network = NetworkConfig.load(data / NETWORK_FILE)
    check_membership(data, network)
    options.update(network=network, nats_urls=list(nats_urls), cosigner=office_cosigner(data))
    ledger = open_ledger(data, None, settings, SharedLedger, **options)
    assert isinstance(ledger, SharedLedger)
    return ledger
