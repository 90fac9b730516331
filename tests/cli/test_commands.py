"""The ``ipledger`` command: init, keygen, verify, log info (offline parts)."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from ipledger.cli import main
from ipledger.codec import canonicalize
from ipledger.identity import NoteSigner, NoteVerifier, SigningKey, read_private_key
from ipledger.ledger import Ledger, make_envelope
from ipledger.services.evidence import stamp_body
from ipledger.services.stamp_client import write_receipt
from tests.conftest import ORIGIN, T0


def test_init_writes_vkey_and_private_key_safely(tmp_path: Path, capsys) -> None:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--origin", "office.example/trademarks"]) == 0
    vkey = (data / "log.vkey").read_text()
    assert vkey.endswith("\n") and vkey.count("\n") == 1
    assert re.fullmatch(r"office\.example/trademarks\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n", vkey)
    NoteVerifier.from_vkey(vkey.strip())
    mode = stat.S_IMODE((data / "keys" / "log.key").stat().st_mode)
    assert mode == 0o600
    assert main(["init", "--data", str(data), "--origin", "x.example/y"]) == 1
    assert "already initialised" in capsys.readouterr().err


def test_init_rejects_a_bad_origin(tmp_path: Path, capsys) -> None:
    assert main(["init", "--data", str(tmp_path / "n"), "--origin", "has space"]) == 1


def test_keygen_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "k.pem"
    assert main(["keygen", "--out", str(out)]) == 0
    did = capsys.readouterr().out.strip()
    assert did.startswith("did:key:z6Mk")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["keygen", "--out", str(out)]) == 1
    assert read_private_key(out).public_key


@pytest.fixture
def stamped(ledger: Ledger, stamper: SigningKey, tmp_path: Path) -> tuple[Path, str]:
    doc = tmp_path / "contract.pdf"
    doc.write_bytes(b"%PDF-1.7 a licence agreement")
    env = make_envelope(stamper, ORIGIN, "evidence.stamp", stamp_body(doc), created_ms=T0)
    seq = ledger.submit(canonicalize(env)).result(timeout=10)
    ledger.wait_for_checkpoint(seq.index + 1, timeout=5)
    write_receipt(doc, ledger.receipt(seq.index))
    vkey_file = tmp_path / "log.vkey"
    vkey_file.write_text(ledger.verifier_key + "\n")
    return doc, str(vkey_file)


def test_verify_accepts_the_file_and_its_receipt(stamped, capsys) -> None:
    doc, vkey = stamped
    assert main(["verify", str(doc), "--vkey", vkey]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK ") and "entry 0" in out and ORIGIN in out


def test_verify_says_exactly_what_failed(stamped, tmp_path: Path, capsys) -> None:
    doc, vkey = stamped
    receipt_path = Path(f"{doc}.receipt.json")
    original = receipt_path.read_text()

    doc.write_bytes(b"%PDF-1.7 a different agreement")
    assert main(["verify", str(doc), "--vkey", vkey]) == 1
    assert "file-hash" in capsys.readouterr().out
    doc.write_bytes(b"%PDF-1.7 a licence agreement")

    other = NoteSigner(ORIGIN, SigningKey.generate()).verifier_key()
    assert main(["verify", str(doc), "--vkey", other]) == 1
    assert "checkpoint-signature" in capsys.readouterr().out

    tampered = json.loads(original)
    tampered["entry"]["seq"]["time"] = "2020-01-01T00:00:00.000Z"
    receipt_path.write_text(json.dumps(tampered))
    assert main(["verify", str(doc), "--vkey", vkey]) == 1
    assert "inclusion-proof" in capsys.readouterr().out

    receipt_path.write_text("{not json")
    assert main(["verify", str(doc), "--vkey", vkey]) == 1
    assert "FAILED" in capsys.readouterr().out

    receipt_path.unlink()
    assert main(["verify", str(doc), "--vkey", vkey]) == 1


def test_log_info_reads_a_data_directory(tmp_path: Path, capsys) -> None:
    data = tmp_path / "node"
    main(["init", "--data", str(data), "--origin", "office.example/log"])
    capsys.readouterr()
    assert main(["log", "info", "--data", str(data)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["origin"] == "office.example/log" and info["entries_stored"] == 0


def test_log_fsck_finds_tampering(tmp_path: Path, stamper: SigningKey, capsys) -> None:
    import sqlite3

    from ipledger.node import open_ledger

    data = tmp_path / "node"
    main(["init", "--data", str(data), "--origin", ORIGIN])
    ledger = open_ledger(data, validation_processes=False)
    envs = [make_envelope(stamper, ORIGIN, "evidence.stamp", {"sha256": f"{i:064x}"})
            for i in range(600)]
    for fut in ledger.submit_many([canonicalize(e) for e in envs]):
        fut.result(timeout=30)
    ledger.wait_for_checkpoint(600, timeout=10)
    ledger.close()
    ledger.store.close()
    capsys.readouterr()
    assert main(["log", "fsck", "--data", str(data)]) == 0
    assert capsys.readouterr().out.startswith("OK: 600 entries")

    db = sqlite3.connect(data / "ledger.sqlite")
    original = db.execute("SELECT data FROM entries WHERE idx = 300").fetchone()[0]
    db.execute("UPDATE entries SET data = ? WHERE idx = 300",
               (original.replace(b'"sha256":"0', b'"sha256":"f'),))
    db.commit()
    assert main(["log", "fsck", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "hash tile 0/1" in out
    assert "checkpoint at size 600 signs a root the entries do not give" in out

    db.execute("UPDATE entries SET data = ? WHERE idx = 300", (original,))
    tile = db.execute("SELECT data FROM tiles WHERE id = 0").fetchone()[0]
    db.execute("UPDATE tiles SET data = ? WHERE id = 0", (bytes([tile[0] ^ 1]) + tile[1:],))
    db.commit()
    db.close()
    assert main(["log", "fsck", "--data", str(data)]) == 1
    assert "hash tile 0/0" in capsys.readouterr().out


def test_replay_rebuilds_the_register(tmp_path: Path, capsys) -> None:
    import sqlite3

    from ipledger.node import GENESIS_KEY_FILE, open_ledger

    data = tmp_path / "node"
    main(["init", "--data", str(data), "--origin", ORIGIN])
    ledger = open_ledger(data, validation_processes=False)
    genesis = read_private_key(data / GENESIS_KEY_FILE)
    people = [SigningKey.generate() for _ in range(3)]
    envs = [make_envelope(k, ORIGIN, "party.register",
                          {"name": f"P{i}", "country": "PT", "kind": "natural"})
            for i, k in enumerate(people)]
    envs.append(make_envelope(genesis, ORIGIN, "office.register",
                              {"office": "PT", "name": "INPI", "profile": "generic"}))
    for env in envs:
        ledger.submit(canonicalize(env)).result(timeout=10)
    ledger.close()
    ledger.store.close()
    capsys.readouterr()
    assert main(["replay", "--data", str(data)]) == 0
    assert capsys.readouterr().out.startswith("OK: replayed 4 entries")
    db = sqlite3.connect(data / "ledger.sqlite")
    db.execute("UPDATE state_roots SET root = zeroblob(32) WHERE size = 2")
    db.commit()
    db.close()
    assert main(["replay", "--data", str(data)]) == 1
    assert "DIFFERENCE state root after entry 1" in capsys.readouterr().out


def test_demo_seed_builds_a_register_the_front_page_shows(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from ipledger.api.app import create_app
    from ipledger.demo import seed
    from ipledger.node import init_node, open_ledger

    data = tmp_path / "demo"
    init_node(data, ORIGIN)
    ledger = open_ledger(data, validation_processes=False)
    try:
        summary = seed(ledger, data)
        assert "2 published trademarks" in summary
        ledger.wait_for_checkpoint(ledger.store.tree_size(), timeout=10)
        with TestClient(create_app(ledger)) as client:
            page = client.get("/").text
            assert "AURORA BREW" in page
            assert "HARBOUR LIGHT" in page
            assert "opposition_period" in page
            xml = client.get("/v1/rights/EM/trademark/000000001.xml")
            assert xml.status_code == 200
            assert b"AURORA BREW" in xml.content
    finally:
        ledger.close()
        ledger.store.close()


def test_init_can_admit_the_nodes_own_office_with_a_registrar_key(tmp_path: Path,
                                                                 capsys) -> None:
    from ipledger.codec import parse_json
    from ipledger.identity import did_key_url
    from ipledger.registry.records import party_id_for
    from ipledger.storage.sqlite import SQLiteStore

    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--origin", ORIGIN, "--office", "EM",
                 "--profile", "euipo"]) == 2  # EM is an organisation: whose country?
    assert main(["init", "--data", str(data), "--origin", ORIGIN, "--office", "EM",
                 "--profile", "euipo", "--country", "ES"]) == 0
    key_path = data / "keys" / "registrar.key"
    assert str(key_path) in capsys.readouterr().out
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    registrar = party_id_for(did_key_url(read_private_key(key_path).public_key))
    store = SQLiteStore(data / "ledger.sqlite")
    try:
        assert parse_json(store.read_record("office/EM"))["profile"] == "euipo"
        assert "registrar" in parse_json(store.read_record(f"role/EM/{registrar}"))["roles"]
    finally:
        store.close()
