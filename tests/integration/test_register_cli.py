"""The register through the command line against a real node: submit, extract, verify."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ipledger.identity import did_key_url, read_private_key
from ipledger.registry.records import party_id_for
from tests.integration.node_process import NodeProcess, ipledger

pytestmark = pytest.mark.slow


def test_submit_any_entry_type_and_verify_its_extract(tmp_path: Path,
                                                     store_spec: str | None) -> None:
    with NodeProcess(tmp_path / "node", store=store_spec) as node:
        key = tmp_path / "aurora.key"
        ipledger("keygen", "--out", str(key))
        receipt = tmp_path / "party.receipt.json"
        done = ipledger("submit", "party.register", "--node", node.url, "--key", str(key),
                        "--body", '{"name": "Aurora Brew GmbH", "country": "DE", '
                        '"kind": "legal"}', "--receipt", str(receipt))
        assert done.stdout.startswith("OK party.register recorded as entry 0"), done.stdout
        checked = ipledger("verify", "receipt", str(receipt), "--vkey", node.vkey)
        assert checked.stdout.startswith(f"OK {receipt}: party.register by did:key:"), checked
        tampered = json.loads(receipt.read_text())
        tampered["entry"]["body"]["name"] = "Someone Else"
        receipt.write_text(json.dumps(tampered))
        failed = ipledger("verify", "receipt", str(receipt), "--vkey", node.vkey, check=False)
        assert failed.returncode == 1
        assert "inclusion-proof" in failed.stdout
        refused = ipledger("submit", "party.register", "--node", node.url, "--key", str(key),
                           "--body", '{"name": "X", "country": "ZZ", "kind": "legal"}',
                           check=False)
        assert refused.returncode == 1
        assert "REFUSED st3-code at /body/country" in refused.stdout
        genesis = str(tmp_path / "node" / "keys" / "genesis.key")
        body = tmp_path / "office.json"
        body.write_text('{"office": "DE", "name": "DPMA", "profile": "generic"}')
        done = ipledger("submit", "office.register", "--node", node.url, "--key", genesis,
                        "--body", f"@{body}")
        assert done.returncode == 0, done.stdout + done.stderr

        party = party_id_for(did_key_url(read_private_key(key).public_key))
        extract = httpx.get(f"{node.url}/v1/state/party/{party}").json()
        path = tmp_path / "extract.json"
        path.write_text(json.dumps(extract))
        verified = ipledger("verify", "extract", str(path), "--vkey", node.vkey)
        assert verified.stdout.startswith(f"OK {path}: party/{party} exists"), verified.stdout
