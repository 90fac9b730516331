"""A mirror is a full store of the node's own backend kind (a SQLite file, or a schema of
the node's PostgreSQL database), here filled from an export directory (a tile source on
disk), and serves extracts that verify with the source office's key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ipledger.identity import NoteVerifier
from ipledger.ledger.export import export_log
from ipledger.network.mirror import OpenMirrors, add_mirror, list_mirrors, sync_mirror
from ipledger.node import NodeConfig, init_node
from ipledger.registry.engine import GENESIS_META
from ipledger.registry.extract import make_extract, verify_extract
from ipledger.registry.records import right_record
from tests.integration.node_process import seeded_node

ORIGIN = "office-a.example/register"


@pytest.fixture(params=["sqlite", "postgresql"])
def node_store(request: pytest.FixtureRequest) -> str | None:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_dsn"))
    return None


def test_a_mirror_from_an_export_on_each_backend(tmp_path: Path,
                                                 node_store: str | None) -> None:
    seeded_node(tmp_path / "a", ORIGIN)
    config = NodeConfig.load(tmp_path / "a")
    from contextlib import closing

    with closing(config.open_store()) as store:
        export_log(store, ORIGIN, tmp_path / "export", meta=[GENESIS_META])
    shutil.copy(tmp_path / "a" / "log.vkey", tmp_path / "export" / "log.vkey")
    vkey = (tmp_path / "a" / "log.vkey").read_text()

    b = tmp_path / "b"
    init_node(b, "office-b.example/register", *((node_store,) if node_store else ()))
    spec = add_mirror(b, str(tmp_path / "export"), vkey)  # genesis from ledger.json
    assert spec.backend == ("postgresql" if node_store else "sqlite")
    done = sync_mirror(b, spec.name)
    assert done.tree_size == 18 and done.fetched == 3  # checkpoint, one bundle, one tile
    assert list_mirrors(b)[0].tree_size == 18

    mirrors = OpenMirrors(b)
    try:
        ledger = mirrors.ledger(spec.name)
        assert ledger is not None and mirrors.ledger("../b") is None
        record_id = right_record("EM", "trademark", "000000001")
        doc = make_extract(ledger, record_id, ledger.latest_checkpoint())
        verified = verify_extract(doc, [NoteVerifier.from_vkey(vkey.strip())])
        assert verified.record is not None and verified.checkpoint.origin == ORIGIN
    finally:
        mirrors.close()
    # The node's own register is untouched by its mirror.
    with closing(NodeConfig.load(b).open_store()) as own:
        assert own.tree_size() == 0
