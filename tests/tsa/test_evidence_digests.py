"""The evidence.stamp body with a SHA-384 or SHA-512 digest (RFC 3161 imprints)."""

from __future__ import annotations

import pytest

from ipledger.ledger import Rejection
from ipledger.services.evidence import EvidenceStamp, evidence_key

STAMP = EvidenceStamp()


@pytest.mark.parametrize("field", ["sha256", "sha384", "sha512"])
def test_one_digest_of_its_length(field: str) -> None:
    digits = {"sha256": 64, "sha384": 96, "sha512": 128}[field]
    body = {field: "ab" * (digits // 2)}
    STAMP.check_body(body)
    assert STAMP.index_keys(body) == [evidence_key("ab" * (digits // 2))]
    for bad in ("ab" * (digits // 2 - 1), "AB" * (digits // 2), "zz" * (digits // 2), 5):
        with pytest.raises(Rejection) as refused:
            STAMP.check_body({field: bad})
        assert refused.value.pointer == f"/body/{field}"


def test_exactly_one_digest() -> None:
    with pytest.raises(Rejection, match="exactly one"):
        STAMP.check_body({"sha256": "a" * 64, "sha512": "a" * 128})
    with pytest.raises(Rejection, match="required"):
        STAMP.check_body({"media_type": "text/plain"})
