"""Offline verification refuses every kind of tampering, saying which check failed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ipledger.credentials.eddsa_rdfc_2022 import ProofError, add_proof
from ipledger.credentials.issuer import Issuer, credential_key
from ipledger.credentials.multikey import did_document, did_web, key_id
from ipledger.credentials.register import RightRef
from ipledger.identity import SigningKey
from tests.credentials.conftest import Scenario, verify
from tests.registry.conftest import ORIGIN

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def issuer(scenario: Scenario) -> Issuer:
    return Issuer(scenario.node.ledger.store, credential_key(scenario.data),
                  "https://register.office.example", ORIGIN)


@pytest.fixture(scope="module")
def credential(scenario: Scenario, issuer: Issuer) -> Doc:
    return issuer.registration(RightRef("EM", "trademark", scenario.number), scenario.sizes[0])


def _resigned(doc: Doc, key: SigningKey, method: str) -> Doc:
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    return add_proof(unsigned, key, method, doc["proof"]["created"])


def _set(path: list[str], value: Any) -> Callable[[Doc], Doc]:
    def change(doc: Doc) -> Doc:
        doc = copy.deepcopy(doc)
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return doc
    return change


FOREIGN = SigningKey.from_seed(bytes(range(32)))

TAMPERING: dict[str, tuple[Callable[[Doc], Doc], str, str]] = {
    "a changed field": (_set(["credentialSubject", "MarkVerbalElementText"], "AURORA BREWS"),
                        "signature", "does not match"),
    "a changed date": (_set(["validFrom"], "2020-01-01T00:00:00Z"), "signature",
                       "does not match"),
    "an added field": (_set(["credentialSubject", "IPRightKind"], "patent"), "signature",
                       "does not match"),
    "a changed proofValue": (
        lambda d: _set(["proof", "proofValue"],
                       d["proof"]["proofValue"][:-2] + ("22" if d["proof"]["proofValue"][-2:]
                                                        != "22" else "33"))(d),
        "signature", "does not match"),
    "a truncated proofValue": (lambda d: _set(["proof", "proofValue"],
                                              d["proof"]["proofValue"][:40])(d),
                               "proof-value", "not the 64"),
    "a foreign key claiming the issuer's method": (
        lambda d: _resigned(d, FOREIGN, d["proof"]["verificationMethod"]), "signature",
        "does not match"),
    "a foreign key under its own DID": (
        lambda d: _resigned(d, FOREIGN, key_id("did:web:evil.example", FOREIGN.public_key)),
        "verification-method", "not a key of the issuer"),
    "an issuer changed to the foreign DID": (
        lambda d: _resigned(_set(["issuer"], "did:web:evil.example")(d), FOREIGN,
                            key_id("did:web:evil.example", FOREIGN.public_key)),
        "verification-method", "DID document is for"),
    "an unknown context URL": (
        _set(["@context"], ["https://www.w3.org/ns/credentials/v2",
                            "https://evil.example/ipledger/v1"]),
        "context", "unknown context URL 'https://evil.example/ipledger/v1'"),
    "a term no context defines": (_set(["credentialSubject", "Favourite"], "x"),
                                  "transformation", "not defined"),
    "another proof purpose": (_set(["proof", "proofPurpose"], "authentication"),
                              "proof-purpose", "assertionMethod"),
    "another cryptosuite": (_set(["proof", "cryptosuite"], "eddsa-jcs-2022"), "proof-type",
                            "eddsa-rdfc-2022"),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_tampered_credentials_are_refused(what: str, credential: Doc, issuer: Issuer) -> None:
    change, step, message = TAMPERING[what]
    assert verify(credential, issuer.did_document()).status == "not checked"
    with pytest.raises(ProofError) as info:
        verify(change(credential), issuer.did_document())
    assert (info.value.step, message in info.value.detail) == (step, True), info.value


def test_the_did_document_must_list_the_key(credential: Doc, issuer: Issuer) -> None:
    other = did_document(issuer.did, [FOREIGN.public_key])
    with pytest.raises(ProofError) as info:
        verify(credential, other)
    assert info.value.step == "verification-method"
    with pytest.raises(ProofError) as info:
        verify(credential, None)
    assert info.value.step == "did-document"


def test_the_status_list_must_be_the_credentials_own(scenario: Scenario, credential: Doc,
                                                     issuer: Issuer) -> None:
    own = issuer.status_list(RightRef("EM", "trademark", scenario.number), scenario.sizes[0])
    assert verify(credential, issuer.did_document(), own).status == "active"
    other = issuer.status_list(RightRef("EM", "trademark", scenario.pending), scenario.sizes[0])
    forged = _set(["credentialSubject", "encodedList"],
                  "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")(
        issuer.status_list(RightRef("EM", "trademark", scenario.number), scenario.sizes[2]))
    for status_list, step in ((other, "status"), (forged, "status-list")):
        with pytest.raises(ProofError) as info:
            verify(credential, issuer.did_document(), status_list)
        assert info.value.step == step, info.value


def test_a_malformed_status_index_is_refused(scenario: Scenario, credential: Doc,
                                            issuer: Issuer) -> None:
    own = issuer.status_list(RightRef("EM", "trademark", scenario.number), scenario.sizes[0])
    for index in ("-1", " 0", "0x1", 0):
        bad = _set(["credentialStatus", "statusListIndex"], index)(credential)
        with pytest.raises(ProofError) as info:  # changed after signing
            verify(bad, issuer.did_document(), own)
        assert info.value.step == "signature", info.value
        resigned = _resigned(bad, issuer.key, issuer.verification_method)
        with pytest.raises(ProofError, match="base-10 integer") as info:
            verify(resigned, issuer.did_document(), own)
        assert info.value.step == "status"


@pytest.mark.parametrize(("origin", "did"), [
    ("https://register.office.example", "did:web:register.office.example"),
    ("https://register.office.example/", "did:web:register.office.example"),
    ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
])
def test_did_web_of_an_origin(origin: str, did: str) -> None:
    assert did_web(origin) == did


def test_did_web_needs_an_origin() -> None:
    with pytest.raises(ValueError, match="not an origin"):
        did_web("https://register.office.example/v1")


def test_the_validity_period_is_checked(credential: Doc, issuer: Issuer) -> None:
    from ipledger.credentials.verify import verify_credential
    from ipledger.ledger import parse_rfc3339_ms

    did = issuer.did_document()
    before = parse_rfc3339_ms(credential["validFrom"]) - 1
    with pytest.raises(ProofError, match="not valid yet") as info:
        verify_credential(credential, did, now_ms=before)
    assert info.value.step == "validity"
    assert verify_credential(credential, did, now_ms=before + 1).status == "not checked"
    ending = _resigned(_set(["validUntil"], "2029-12-31T23:59:59Z")(credential), issuer.key,
                       issuer.verification_method)
    with pytest.raises(ProofError, match="has expired") as info:
        verify(ending, did)  # judged on 2030-01-01
    assert info.value.step == "validity"
