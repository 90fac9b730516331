"""POST /tsa against OpenSSL: tokens it verifies, rejections it reads, nothing recorded
for bad input, and every token's imprint in the log at its serial number."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

import pytest
from asn1crypto import tsp

from ipledger.ledger import parse_rfc3339_ms
from ipledger.services.tsa_protocol import POLICY_OID, TimeStampResp, make_request
from tests.tsa.conftest import QUERY, TsaNode, openssl, verify


def reply_text(reply: Path) -> str:
    return openssl("ts", "-reply", "-in", reply, "-text").stdout


def field(text: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", text, re.MULTILINE)
    assert match, f"no {name!r} in:\n{text}"
    return match.group(1).strip()


def gen_time(text: str) -> datetime.datetime:
    """``Time stamp: Nov 21 10:50:39.749 2026 GMT`` as OpenSSL prints genTime."""
    match = re.fullmatch(r"(\w{3}) +(\d+) (\d\d:\d\d:\d\d)(\.\d+)? (\d{4}) GMT",
                         field(text, "Time stamp"))
    assert match, text
    month, day, hms, fraction, year = match.groups()
    parsed = datetime.datetime.strptime(f"{month} {day} {year} {hms}", "%b %d %Y %H:%M:%S")
    micros = round(float(fraction or "0") * 1_000_000)
    return parsed.replace(microsecond=micros, tzinfo=datetime.UTC)


def logged_entry(node: TsaNode, index: int) -> dict[str, object]:
    entry: dict[str, object] = json.loads(node.ledger.store.read_entries(index, index + 1)[0])
    return entry


@pytest.mark.parametrize(("digest", "cert"), [("sha256", True), ("sha384", False),
                                              ("sha512", True)])
def test_openssl_verifies_the_token_and_the_log_holds_its_imprint(
        tsa_node: TsaNode, digest: str, cert: bool) -> None:
    target = tsa_node.query("deed.txt", f"-{digest}", *(["-cert"] if cert else []))
    reply = tsa_node.stamp(target)

    assert "Verification: OK" in verify(target, reply, tsa_node.data)
    der = reply.read_bytes()
    assert TimeStampResp.load(der).dump(force=True) == der  # DER, as asn1crypto encodes it
    text = reply_text(reply)
    assert field(text, "Status") == "Granted."
    assert field(text, "Policy OID") == POLICY_OID
    query_text = openssl("ts", "-query", "-in", f"{target}.tsq", "-text").stdout
    assert field(text, "Nonce") == field(query_text, "Nonce") != "unspecified"

    serial = int(field(text, "Serial number"), 16)
    entry = logged_entry(tsa_node, serial)
    assert entry["type"] == "evidence.stamp"
    assert entry["body"] == {digest: hashlib.new(digest, target.read_bytes()).hexdigest()}
    seq = entry["seq"]
    assert isinstance(seq, dict) and seq["index"] == serial
    stamped_ms = int(gen_time(text).timestamp() * 1000 + 0.5)
    assert stamped_ms == parse_rfc3339_ms(seq["time"])
    # The certificate is in the token only when asked for: then the chain file suffices.
    ca_only = openssl("ts", "-verify", "-data", target, "-in", reply,
                      "-CAfile", tsa_node.data / "tsa-ca.pem", check=False)
    assert ("Verification: OK" in ca_only.stdout) is cert


def test_tokens_have_increasing_serials_and_a_tampered_file_fails(tsa_node: TsaNode) -> None:
    first = tsa_node.stamp(tsa_node.query("a.txt", "-sha256", "-cert", content=b"a"))
    second = tsa_node.stamp(tsa_node.query("b.txt", "-sha256", "-cert", content=b"b"))
    serials = [int(field(reply_text(r), "Serial number"), 16) for r in (first, second)]
    assert serials == [0, 1] and tsa_node.size() == 2  # a fresh log: indexes 0 and 1
    other = tsa_node.work / "other.txt"
    other.write_bytes(b"not a")
    assert "Verification: OK" not in verify(other, first, tsa_node.data)


def _asn1_request(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(b"x").digest()},
        "nonce": 42, "cert_req": True}
    fields.update(changes)
    return bytes(tsp.TimeStampReq(fields).dump())


def _bad_requests(node: TsaNode) -> dict[str, tuple[bytes, str]]:
    """name -> (request, the failInfo bit RFC 3161 names for it)."""
    def made_by_openssl(*options: str) -> bytes:
        target = node.query("bad.txt", *options)
        return Path(f"{target}.tsq").read_bytes()

    good = made_by_openssl("-sha256")
    return {
        "not DER": (b"hello, not DER", "bad_data_format"),
        "empty": (b"", "bad_data_format"),
        "trailing bytes": (good + b"\x00", "bad_data_format"),
        "truncated": (good[:-3], "bad_data_format"),
        "version 2": (_asn1_request(version=2), "bad_data_format"),
        "SHA-1": (made_by_openssl("-sha1"), "bad_alg"),
        "MD5": (made_by_openssl("-md5"), "bad_alg"),
        "unknown algorithm": (_asn1_request(message_imprint={
            "hash_algorithm": {"algorithm": "1.2.3.4.5"}, "hashed_message": b"\x00" * 32}),
            "bad_alg"),
        "SHA-256 imprint of 20 bytes": (make_request(b"\x01" * 20, 7), "bad_data_format"),
        "SHA-512 imprint of 32 bytes": (make_request(b"\x01" * 32, 7, "sha512"),
                                        "bad_data_format"),
        "unknown policy": (made_by_openssl("-sha256", "-tspolicy", "1.2.3.4"),
                           "unaccepted_policy"),
        "extensions": (_asn1_request(extensions=[{
            "extn_id": "1.3.6.1.4.1.99999.1", "critical": False, "extn_value": b"\x05\x00"}]),
            "unaccepted_extensions"),
    }


def test_bad_requests_are_rejections_that_openssl_reads_and_record_nothing(
        tsa_node: TsaNode) -> None:
    tsa_node.stamp(tsa_node.query("first.txt", "-sha256"))  # the log is not empty
    before, state = tsa_node.size(), tsa_node.state()
    for name, (body, fail_info) in _bad_requests(tsa_node).items():
        reply = tsa_node.post(body)
        status = TimeStampResp.load(reply)["status"]
        assert status["status"].native == "rejection", name
        assert status["fail_info"].native == {fail_info}, name
        assert not TimeStampResp.load(reply)["time_stamp_token"], name
        path = tsa_node.work / "rejected.tsr"
        path.write_bytes(reply)
        assert field(reply_text(path), "Status") == "Rejected.", name
    assert tsa_node.state() == state
    # The next good request takes the very next index: nothing was reserved either.
    reply = tsa_node.stamp(tsa_node.query("next.txt", "-sha256"))
    assert int(field(reply_text(reply), "Serial number"), 16) == before


def test_transport_errors_are_problems_and_record_nothing(tsa_node: TsaNode) -> None:
    body = Path(f"{tsa_node.query('t.txt', '-sha256')}.tsq").read_bytes()
    before = tsa_node.state()
    for headers in ({"Content-Type": "application/octet-stream"}, {}):
        resp = tsa_node.client.post("/tsa", content=body, headers=headers)
        assert resp.status_code == 415
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["rule"] == "unsupported-media-type"
    resp = tsa_node.client.post("/tsa", content=body + b"\x00" * (16 * 1024), headers=QUERY)
    assert resp.status_code == 413
    assert resp.json()["rule"] == "body-too-large"
    assert tsa_node.client.get("/tsa").status_code == 405
    assert tsa_node.state() == before


def test_certs_and_openapi(tsa_node: TsaNode) -> None:
    resp = tsa_node.client.get("/tsa/certs")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/pem-certificate-chain"
    assert resp.text.count("BEGIN CERTIFICATE") == 2
    assert resp.text.startswith((tsa_node.data / "tsa.pem").read_text())
    spec = tsa_node.client.get("/openapi.json").json()
    post = spec["paths"]["/tsa"]["post"]
    assert "application/timestamp-query" in post["requestBody"]["content"]
    assert "application/timestamp-reply" in post["responses"]["200"]["content"]
    assert {"413", "415"} <= set(post["responses"])
    assert "/tsa/certs" in spec["paths"]


def test_a_request_naming_our_policy_is_granted(tsa_node: TsaNode) -> None:
    target = tsa_node.query("policy.txt", "-sha256", "-cert", "-tspolicy", POLICY_OID)
    reply = tsa_node.stamp(target)
    assert "Verification: OK" in verify(target, reply, tsa_node.data)
    assert field(reply_text(reply), "Policy OID") == POLICY_OID
