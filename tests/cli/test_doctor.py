"""``ipledger doctor``: every check alone, and the whole report on healthy and broken nodes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from ipledger.cli import main
from ipledger.doctor import (
    DiskUsage,
    GiB,
    MiB,
    Status,
    check_checkpoint,
    check_clock,
    check_disk,
    check_node_json,
    check_store_durability,
    report,
    run_doctor,
)
from ipledger.identity import NoteSigner, SigningKey, write_private_key
from ipledger.node import open_ledger
from ipledger.registry.engine import GENESIS_META
from ipledger.storage.sqlite import SQLiteStore
from tests.conftest import ORIGIN, T0, FakeClock, raw, stamp


def doctor(data: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    """Run ``ipledger doctor``; the exit status and each check's line."""
    capsys.readouterr()  # not what came before
    status = main(["doctor", "--data", str(data)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].endswith(" FAIL")  # the summary
    return status, {line[5:].split(":", 1)[0]: line for line in lines[:-1]}


def by_check(results: list, name: str):
    (found,) = [r for r in results if r.check == name]
    return found


@pytest.fixture
def node(tmp_path: Path) -> Path:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--origin", ORIGIN]) == 0
    return data


@pytest.fixture
def stamped_node(node: Path, stamper: SigningKey) -> Path:
    """A node with 3 entries at ledger time T0, covered by a signed checkpoint."""
    ledger = open_ledger(node, validation_processes=False, clock_ms=FakeClock(T0))
    try:
        for fut in ledger.submit_many([raw(stamp(stamper, i)) for i in range(3)]):
            fut.result(timeout=30)
        ledger.wait_for_checkpoint(3, timeout=10)
    finally:
        ledger.close()
        ledger.store.close()
    return node


def healthy(lines: dict[str, str]) -> None:
    for check, line in lines.items():
        # Only the disk of the machine running the tests may be short of space.
        assert line.startswith("OK ") or (check == "disk" and line.startswith("WARN")), line


def test_a_fresh_sqlite_node_is_healthy(node: Path, capsys) -> None:
    status, lines = doctor(node, capsys)
    assert status == 0
    healthy(lines)
    assert {"node.json", "config", "keys/", "keys/log.key", "keys/genesis.key", "log key",
            "genesis key", "store", "durability", "clock", "checkpoint", "disk"} <= set(lines)
    assert "synchronous=FULL" in lines["durability"]


def test_a_fresh_postgresql_node_is_healthy(tmp_path: Path, postgres_dsn: str, capsys) -> None:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--origin", ORIGIN, "--store", postgres_dsn]) == 0
    status, lines = doctor(data, capsys)
    assert status == 0
    healthy(lines)
    assert "synchronous_commit=on, fsync=on" in lines["durability"]
    assert "answers in" in lines["postgresql"]


def test_a_node_with_entries_is_healthy(stamped_node: Path) -> None:
    results = run_doctor(stamped_node, now_ms=T0 + 60_000)
    assert report(results)[1] == 0
    assert by_check(results, "store").message.endswith("3 entries")
    assert by_check(results, "checkpoint").status is Status.OK


def test_a_key_readable_by_others_fails(node: Path, capsys) -> None:
    os.chmod(node / "keys" / "log.key", 0o644)
    status, lines = doctor(node, capsys)
    assert status == 1
    assert lines["keys/log.key"].startswith("FAIL keys/log.key: mode 0644")
    assert f"fix: chmod 600 {node / 'keys' / 'log.key'}" in lines["keys/log.key"]


def test_a_missing_key_fails(node: Path, capsys) -> None:
    (node / "keys" / "log.key").unlink()
    status, lines = doctor(node, capsys)
    assert status == 1
    assert "is missing" in lines["keys/log.key"] and "fix: restore" in lines["keys/log.key"]


def test_a_missing_genesis_key_only_warns(node: Path, capsys) -> None:
    (node / "keys" / "genesis.key").unlink()  # kept offline, as it may well be
    status, lines = doctor(node, capsys)
    assert status == 0
    assert lines["keys/genesis.key"].startswith("WARN")


def test_a_log_key_that_is_not_the_published_one_fails(node: Path, capsys) -> None:
    write_private_key(node / "keys" / "log.key", SigningKey.generate(), overwrite=True)
    status, lines = doctor(node, capsys)
    assert status == 1
    assert lines["log key"].startswith("FAIL log key: keys/log.key is not the key of log.vkey")
    assert "fix: restore the log key that matches log.vkey" in lines["log key"]


def test_a_genesis_key_that_is_not_the_ledgers_fails(node: Path, capsys) -> None:
    write_private_key(node / "keys" / "genesis.key", SigningKey.generate(), overwrite=True)
    status, lines = doctor(node, capsys)
    assert status == 1 and lines["genesis key"].startswith("FAIL")


def test_node_json_readable_by_others(node: Path, capsys) -> None:
    os.chmod(node / "node.json", 0o644)
    status, lines = doctor(node, capsys)
    assert status == 0  # nothing secret in it: a warning
    assert lines["node.json"].startswith("WARN node.json: mode 0644")
    assert f"fix: chmod 600 {node / 'node.json'}" in lines["node.json"]
    # With a database password in it, it is a failure.
    raw_config = json.loads((node / "node.json").read_text())
    raw_config["store"] = "postgresql://ipledger:s3cret@db.example/ledger"
    (node / "node.json").write_text(json.dumps(raw_config))
    result = check_node_json(node)
    assert result.status is Status.FAIL and "password" in result.message
    assert "s3cret" not in result.line()


def test_a_store_of_another_ledger_fails(node: Path, capsys) -> None:
    store = SQLiteStore(node / "ledger.sqlite")
    store.set_meta(GENESIS_META, "did:key:z6MkotherLedger")
    store.close()
    status, lines = doctor(node, capsys)
    assert status == 1
    assert "holds another ledger (genesis did:key:z6MkotherLedger" in lines["store"]
    assert "fix: point node.json or [store] url at this node's store" in lines["store"]


def test_a_missing_sqlite_file_fails_and_is_not_created(node: Path, capsys) -> None:
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (node / name).unlink(missing_ok=True)
    status, lines = doctor(node, capsys)
    assert status == 1 and "does not exist" in lines["store"]
    assert not (node / "ledger.sqlite").exists()


def test_sqlite_without_synchronous_full_fails(node: Path, capsys, monkeypatch) -> None:
    connect = SQLiteStore._connect

    def relaxed(self: SQLiteStore) -> sqlite3.Connection:
        conn = connect(self)
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    monkeypatch.setattr(SQLiteStore, "_connect", relaxed)
    status, lines = doctor(node, capsys)
    assert status == 1
    assert lines["durability"].startswith("FAIL durability: SQLite synchronous=NORMAL")
    assert "fix: " in lines["durability"]
    store = SQLiteStore(node / "ledger.sqlite")
    try:
        assert check_store_durability(store).status is Status.FAIL
    finally:
        store.close()


def test_a_clock_behind_the_last_entry_fails(stamped_node: Path) -> None:
    store = SQLiteStore(stamped_node / "ledger.sqlite")
    try:
        behind = check_clock(store, now_ms=T0 - 5_000)
        assert behind.status is Status.FAIL
        assert "5.000 s behind the last entry's ledger time (2026-09-21T" in behind.message
        assert "NTP" in behind.fix
        assert check_clock(store, now_ms=T0).status is Status.OK
        assert check_clock(store, now_ms=T0 + 60_000).status is Status.OK
        far = check_clock(store, now_ms=T0 + 400 * 86_400_000)
        assert far.status is Status.WARN and "400 days past the latest checkpoint" in far.message
        assert check_clock(store, now_ms=86_400_000).status is Status.FAIL  # 1970: never set
    finally:
        store.close()
    results = run_doctor(stamped_node, now_ms=T0 - 5_000)
    assert by_check(results, "clock").status is Status.FAIL and report(results)[1] == 1


def test_a_stale_checkpoint_says_start_the_node(stamped_node: Path) -> None:
    # As if the node stopped after committing the last batch and before signing it.
    db = sqlite3.connect(stamped_node / "ledger.sqlite")
    with db:
        db.execute("DELETE FROM checkpoints WHERE size > 0")
    db.close()
    results = run_doctor(stamped_node, now_ms=T0 + 60_000)
    stale = by_check(results, "checkpoint")
    assert stale.status is Status.WARN
    assert stale.message.startswith("stale: the latest checkpoint covers 0 of 3 entries")
    assert stale.fix.startswith("start the node")
    assert report(results)[1] == 0
    # Starting the node signs a checkpoint of the whole log.
    ledger = open_ledger(stamped_node, validation_processes=False, clock_ms=FakeClock(T0))
    ledger.close()
    ledger.store.close()
    assert by_check(run_doctor(stamped_node, now_ms=T0 + 60_000),
                    "checkpoint").status is Status.OK


def test_a_checkpoint_that_does_not_verify_fails(stamped_node: Path) -> None:
    store = SQLiteStore(stamped_node / "ledger.sqlite")
    try:
        stranger = NoteSigner(ORIGIN, SigningKey.generate()).verifier()
        result = check_checkpoint(store, stranger, ORIGIN)
        assert result.status is Status.FAIL and "does not verify with log.vkey" in result.message
        assert "ipledger log fsck" in result.fix
    finally:
        store.close()


def test_a_broken_config_file_fails_and_the_other_checks_still_run(node: Path, capsys) -> None:
    (node / "ipledger.toml").write_text("[server]\nport = 'eighty'\n")
    status, lines = doctor(node, capsys)
    assert status == 1
    assert "[server] port must be an integer" in lines["config"]
    assert lines["store"].startswith("OK") and lines["checkpoint"].startswith("OK")


@pytest.mark.parametrize(("free", "total", "status"), [
    (50 * MiB, 100 * GiB, Status.FAIL),
    (500 * MiB, 2 * GiB, Status.WARN),  # under 1 GiB
    (5 * GiB, 100 * GiB, Status.WARN),  # under 10 %
    (50 * GiB, 100 * GiB, Status.OK),
])
def test_disk_space_thresholds(tmp_path: Path, free: int, total: int, status: Status) -> None:
    result = check_disk(tmp_path, usage=lambda _: DiskUsage(total, total - free, free))
    assert result.status is status
    assert str(tmp_path) in result.message
    assert (result.fix != "") is (status is not Status.OK)
