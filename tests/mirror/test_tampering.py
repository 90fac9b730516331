"""A mirror trusts nothing it fetches: a modified entry bundle or hash tile, a checkpoint
signed by another key, a rolled-back or forked log are refused, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ipledger.identity import NoteSigner, SigningKey, sign_note
from ipledger.node import init_node
from ipledger.storage.sqlite import SQLiteStore
from tests.integration.node_process import NodeProcess, ipledger, seeded_node
from tests.mirror.registers import file_trademark, proxy, stamp, wait_for_size

pytestmark = pytest.mark.slow

ORIGIN = "office-a.example/register"
Tamper = Callable[[str, bytes], bytes]


def _flip_in_bundles(path: str, body: bytes) -> bytes:
    """An entry changed in every bundle (one the first sync needs, one the next needs)."""
    if path.startswith("/tlog/tile/entries/"):
        for true, false in ((b"Aurora Brew GmbH", b"Aurora Brew Ltd."),
                            (b"AURORA NIGHTS", b"AURORA KNIGHT")):
            body = body.replace(true, false, 1)
    return body


def _flip_in_hash_tile(path: str, body: bytes) -> bytes:
    if path.startswith("/tlog/tile/0/"):
        return body[:-1] + bytes([body[-1] ^ 1])
    return body


def _resigned(path: str, body: bytes) -> bytes:
    """The true checkpoint text, signed by another key under the office's name."""
    if path != "/tlog/checkpoint":
        return body
    text = body.decode().split("\n\n", 1)[0] + "\n"
    return sign_note(text, [NoteSigner(ORIGIN, SigningKey.generate())]).encode()


class Switch:
    """What the proxy does now (a node that starts to misbehave mid-way)."""

    def __init__(self) -> None:
        self.tamper: Tamper | None = None
        self.replay_checkpoint: bytes | None = None

    def __call__(self, path: str, body: bytes) -> bytes:
        if self.replay_checkpoint is not None and path == "/tlog/checkpoint":
            return self.replay_checkpoint
        return self.tamper(path, body) if self.tamper else body


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    tmp = tmp_path_factory.mktemp("tamper")
    seeded_node(tmp / "a", ORIGIN)
    with NodeProcess(tmp / "a", ORIGIN) as a:
        yield a


def _state(data: Path) -> tuple[int, str | None, bytes | None]:
    (directory,) = (data / "mirrors").iterdir()
    store = SQLiteStore(directory / "ledger.sqlite")
    try:
        latest = store.latest_checkpoint()
        return store.tree_size(), latest.note if latest else None, store.root_hash()
    finally:
        store.close()


def _sync_refused(data: Path, step: str) -> str:
    before = _state(data)
    done = ipledger("mirror", "sync", "--data", str(data), check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{step}:" in done.stdout and "the mirror is unchanged" in done.stdout, done.stdout
    assert _state(data) == before  # nothing stored
    (spec,) = json.loads(ipledger("mirror", "list", "--data", str(data), "--json").stdout)
    assert spec["last_error"].startswith(step), spec
    return done.stdout


def test_tampered_sources_are_refused_and_change_nothing(source: NodeProcess,
                                                         tmp_path: Path) -> None:
    switch = Switch()
    data = tmp_path / "c"
    init_node(data, "office-c.example/register")
    with proxy(source.url, switch) as url:
        # A checkpoint signed by another key is refused before anything is written.
        switch.tamper = _resigned
        added = ipledger("mirror", "add", url, "--vkey", source.vkey, "--data", str(data),
                         check=False)
        assert added.returncode == 1 and "checkpoint-signature" in added.stderr, added.stderr
        assert not (data / "mirrors").exists()
        switch.tamper = None
        ipledger("mirror", "add", url, "--vkey", source.vkey, "--data", str(data))

        # First sync (from nothing), then an incremental one: each tampering refused.
        for tamper, step in ((_flip_in_bundles, "log-root"), (_flip_in_hash_tile, "hash-tile"),
                             (_resigned, "checkpoint-signature")):
            switch.tamper = tamper
            _sync_refused(data, step)
        assert _state(data)[0] == 0
        switch.tamper = None
        assert "OK " in ipledger("mirror", "sync", "--data", str(data)).stdout
        old_checkpoint = httpx.get(f"{source.url}/tlog/checkpoint").content
        synced = _state(data)

        file_trademark(source.url, source.data, ORIGIN, "AURORA NIGHTS", [30], disclose=True)
        stamp(source.url, ORIGIN, 20)
        wait_for_size(source.url, synced[0] + 22)
        for tamper, step in ((_flip_in_bundles, "log-root"), (_flip_in_hash_tile, "hash-tile"),
                             (_resigned, "checkpoint-signature")):
            switch.tamper = tamper
            _sync_refused(data, step)
        assert _state(data) == synced
        switch.tamper = None
        grown = ipledger("mirror", "sync", "--data", str(data)).stdout
        assert "(22 new;" in grown, grown

        # The source shows an older checkpoint (validly signed): a rollback.
        switch.replay_checkpoint = old_checkpoint
        _sync_refused(data, "rollback")
        switch.replay_checkpoint = None


def test_a_fork_is_refused_with_evidence(source: NodeProcess, tmp_path: Path) -> None:
    """Another log under the same name and key (the office's key signing two histories)."""
    data = tmp_path / "d"
    init_node(data, "office-d.example/register")
    ipledger("mirror", "add", source.url, "--vkey", source.vkey, "--data", str(data))
    ipledger("mirror", "sync", "--data", str(data))
    size = _state(data)[0]
    # The same office key signs a different root at the mirrored size.
    key_file = source.data / "keys" / "log.key"
    from ipledger.identity import read_private_key
    from ipledger.log import Checkpoint

    signer = NoteSigner(ORIGIN, read_private_key(key_file))
    forged = sign_note(Checkpoint(ORIGIN, size, b"\x07" * 32).to_text(), [signer]).encode()

    def fork(path: str, body: bytes) -> bytes:
        return forged if path == "/tlog/checkpoint" else body

    with proxy(source.url, fork) as url:
        spec_file = next((data / "mirrors").iterdir()) / "mirror.json"
        spec = json.loads(spec_file.read_text())
        spec["url"] = url + "/tlog"
        spec_file.write_text(json.dumps(spec))
        _sync_refused(data, "fork")
    evidence = sorted(p.name for p in (spec_file.parent / "evidence").iterdir())
    assert len(evidence) == 2 and any("served-checkpoint" in e for e in evidence)
