"""``ipledger priority deposit/authorize/retrieve`` against a real ``ipledger serve``: the
depositing office's registrar deposits, the applicant authorizes, an accessing office's
registrar retrieves the verified document; a wrong code is refused and counted."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from ipledger.identity import did_key_url, read_private_key
from ipledger.registry.families.priority import access_code_hash
from ipledger.registry.records import party_id_for
from tests.cli.test_document_cli import submit
from tests.integration.node_process import ORIGIN, NodeProcess, ipledger


def party_of(key: Path) -> str:
    return party_id_for(did_key_url(read_private_key(key).public_key))


def test_deposit_authorize_and_retrieve_through_a_real_node(tmp_path: Path) -> None:
    data = tmp_path / "node"
    ipledger("init", "--data", str(data), "--origin", ORIGIN, "--office", "EM", "--profile",
             "euipo", "--country", "ES")
    em, genesis = data / "keys" / "registrar.key", data / "keys" / "genesis.key"
    applicant, us = tmp_path / "applicant.key", tmp_path / "us.key"
    for key in (applicant, us):
        ipledger("keygen", "--out", str(key))
    document = tmp_path / "priority.pdf"
    document.write_bytes(b"%PDF-1.7\n% EM 018000001\n" + os.urandom(200_000))
    where = ("--office", "EM", "--number", "018000001")

    with NodeProcess(data) as node:
        for key, name in ((applicant, "Aurora Brew GmbH"), (us, "USPTO examiner")):
            submit(node, key, "party.register", {"name": name, "country": "DE",
                                                 "kind": "legal"})
        submit(node, genesis, "office.register", {"office": "US", "name": "US office",
                                                  "profile": "uspto"})
        submit(node, genesis, "role.grant", {"office": "US", "party": party_of(us),
                                             "role": "registrar"})
        done = ipledger("priority", "deposit", str(document), "--node", node.url, "--key",
                        str(em), *where, "--applicant", party_of(applicant),
                        "--filing-date", "2026-03-02", "--kind", "trademark")
        code = done.stdout.strip()
        assert len(code) >= 22 and "access code" in done.stderr  # >= 128 bits, urlsafe
        url = f"{node.url}/v1/priority/EM/018000001"
        status = httpx.get(url).json()
        assert status["media_type"] == "application/pdf" and "access_code_hash" not in status
        entry = httpx.get(f"{node.url}/v1/entries/{status['deposited']['index']}")
        assert status["salt"] in entry.text and code not in entry.text  # the code stays off

        out = tmp_path / "copy.pdf"
        retrieve = ("priority", "retrieve", "--node", node.url, "--key", str(us), *where,
                    "--accessing-office", "US", "--out", str(out))
        size = httpx.get(f"{node.url}/v1/log").json()["tree_size"]
        refused = ipledger(*retrieve, "--code", code, check=False)  # not authorized yet
        assert refused.returncode == 1 and "not-authorized" in refused.stderr
        authorize = ("priority", "authorize", "--node", node.url, *where, "--to", "US")
        done = ipledger(*authorize, "--key", str(us), check=False)  # not an applicant
        assert done.returncode == 1 and "not-authorized" in done.stderr
        assert httpx.get(f"{node.url}/v1/log").json()["tree_size"] == size  # no entry
        ipledger(*authorize, "--to", "JP", "--key", str(applicant))
        assert httpx.get(url).json()["authorized"] == ["JP", "US"]

        wrong = ipledger(*retrieve, "--code", code[::-1], check=False)
        assert wrong.returncode == 1 and "wrong-access-code" in wrong.stderr
        assert "4 attempts left" in wrong.stderr and not out.exists()
        status = httpx.get(url).json()
        assert status["failed_attempts"] == 1
        assert [(a["office"], a["ok"]) for a in status["accesses"]] == [("US", False)]

        got = ipledger(*retrieve, "--code", code)
        assert got.returncode == 0 and "SHA-256 verified" in got.stdout
        assert out.read_bytes() == document.read_bytes()
        status = httpx.get(url).json()
        assert [a["ok"] for a in status["accesses"]] == [False, True]
        assert access_code_hash(status["salt"], code) not in str(status)
