"""``ipledger document put/get/fsck`` against a real ``ipledger serve``: upload, confidential
download, publication, and a corrupted file caught by the client and by fsck."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ipledger.identity import did_key_url, read_private_key
from ipledger.registry.families.rights import content_commitment
from ipledger.registry.records import party_id_for
from tests.integration.node_process import ORIGIN, NodeProcess, ipledger
from tests.registry.test_rights_lifecycle import MARK, SALT


def submit(node: NodeProcess, key: Path, entry_type: str, body: dict[str, object]) -> None:
    done = ipledger("submit", entry_type, "--node", node.url, "--key", str(key),
                    "--body", json.dumps(body), check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_document_round_trip_through_a_real_node(tmp_path: Path) -> None:
    data = tmp_path / "node"
    ipledger("init", "--data", str(data), "--origin", ORIGIN, "--office", "EM", "--profile",
             "euipo", "--country", "ES")
    applicant, stranger = tmp_path / "applicant.key", tmp_path / "stranger.key"
    for key in (applicant, stranger):
        ipledger("keygen", "--out", str(key))
    drawing = tmp_path / "mark.pdf"
    drawing.write_bytes(b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 + 17))  # several chunks
    sha256 = hashlib.sha256(drawing.read_bytes()).hexdigest()

    with NodeProcess(data) as node:
        for key, name in ((applicant, "Aurora Brew GmbH"), (stranger, "Someone")):
            submit(node, key, "party.register", {"name": name, "country": "DE",
                                                 "kind": "legal"})
        put = ipledger("document", "put", str(drawing), "--node", node.url, "--key",
                       str(applicant))
        assert put.stdout.strip() == sha256, put.stdout + put.stderr
        again = ipledger("document", "put", str(drawing), "--node", node.url, "--key",
                         str(applicant))
        assert again.stdout.strip() == sha256 and "already stored" in again.stderr
        wrong = ipledger("document", "put", str(drawing), "--node", node.url, "--key",
                         str(applicant), "--media-type", "image/png", check=False)
        assert wrong.returncode == 1 and "media-type-mismatch" in wrong.stderr

        out = tmp_path / "copy.pdf"
        got = ipledger("document", "get", sha256, "--node", node.url, "--key", str(applicant),
                       "--out", str(out))
        assert got.returncode == 0 and out.read_bytes() == drawing.read_bytes()
        # Confidential: the public and an unrelated party get nothing, and no file.
        for extra in ((), ("--key", str(stranger))):
            refused = ipledger("document", "get", sha256, "--node", node.url, "--out",
                               str(tmp_path / "nothing.pdf"), *extra, check=False)
            assert refused.returncode == 1 and "not-found" in refused.stderr
            assert not (tmp_path / "nothing.pdf").exists()

        # File a trademark, list the document, disclose: now anyone may download it.
        party = party_id_for(did_key_url(read_private_key(applicant).public_key))
        submit(node, applicant, "right.file", {
            "office": "EM", "kind": "trademark", "applicants": [party], "classes": [30, 32],
            "commitment": content_commitment(SALT, MARK),
            "payment": {"amount": 90_000, "currency": "EUR"}})
        right = {"office": "EM", "kind": "trademark", "number": "000000001"}
        submit(node, applicant, "right.add_document", {
            **right, "sha256": sha256, "media_type": "application/pdf",
            "category": "representation"})
        assert ipledger("document", "get", sha256, "--node", node.url, "--out",
                        str(out), check=False).returncode == 1
        submit(node, applicant, "right.disclose", {**right, "data": MARK, "salt": SALT})
        public = tmp_path / "public.pdf"
        assert ipledger("document", "get", sha256, "--node", node.url, "--out",
                        str(public)).returncode == 0
        assert public.read_bytes() == drawing.read_bytes()

        # A stored file corrupted on disk: the client refuses to keep it, fsck names it.
        stored = data / "documents" / "sha256" / sha256[:2] / sha256[2:4] / sha256
        os.chmod(stored, 0o600)
        with stored.open("r+b") as f:
            f.seek(1_000_000)
            f.write(b"tampered")
        bad = tmp_path / "bad.pdf"
        corrupt = ipledger("document", "get", sha256, "--node", node.url, "--out", str(bad),
                           check=False)
        assert corrupt.returncode == 1 and "not kept" in corrupt.stderr
        assert not bad.exists() and not list(tmp_path.glob(".bad.pdf.*"))

    fsck = ipledger("document", "fsck", "--data", str(data), check=False)
    assert fsck.returncode == 1
    assert f"CORRUPTED {stored}" in fsck.stdout and "FAILED: 1 documents" in fsck.stdout
