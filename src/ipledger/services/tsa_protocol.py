"""RFC 3161 messages: parse a ``TimeStampReq``, build a ``TimeStampResp`` (granted or not).

The token is a CMS SignedData (RFC 5652) over a DER ``TSTInfo``, signed with ECDSA P-256
and SHA-256; its signed attributes are contentType, messageDigest and signingCertificateV2
(RFC 5816: ESSCertIDv2 with the SHA-256 of the TSA certificate).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

#: The TSA policy of ipledger tokens (an X.667 UUID OID: 2.25.<UUID as an integer>).
POLICY_OID = "2.25.238430317069547036735315834935436929377"
#: Imprint hash algorithms accepted, with their digest sizes.
IMPRINT_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 ``TimeStampResp``; asn1crypto's requires the token, which is OPTIONAL."""

    _fields = [  # noqa: RUF012 - asn1crypto's class-level schema
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TsaRejection(Exception):  # noqa: N818 - an outcome answered as a DER rejection
    """A request the TSA refuses: answered as ``TimeStampResp`` status rejection."""

    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info  # an asn1crypto PKIFailureInfo name, e.g. "bad_alg"
        self.text = text


@dataclass(frozen=True)
class TimeStampRequest:
    """The parts of a valid ``TimeStampReq`` that shape the token."""

    hash_algorithm: str  # "sha256", "sha384" or "sha512"
    imprint: bytes
    nonce: int | None
    cert_req: bool


def parse_request(der: bytes) -> TimeStampRequest:
    """A DER ``TimeStampReq`` checked against RFC 3161 2.4.1 and our policy."""
    try:
        req = tsp.TimeStampReq.load(der, strict=True)
        req.native  # noqa: B018 - asn1crypto parses lazily; force every field now
    except (ValueError, TypeError, KeyError) as exc:
        raise TsaRejection("bad_data_format", f"not a DER TimeStampReq: {exc}") from None
    if req["version"].native != "v1":
        raise TsaRejection("bad_data_format", "TimeStampReq version must be 1")
    imprint = req["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in IMPRINT_SIZES:
        raise TsaRejection("bad_alg", f"hash algorithm {algorithm} is not accepted "
                           "(SHA-256, SHA-384 or SHA-512)")
    parameters = imprint["hash_algorithm"]["parameters"]
    if parameters.native is not None:
        raise TsaRejection("bad_alg", "hash algorithm parameters must be absent or NULL")
    hashed = imprint["hashed_message"].native
    if len(hashed) != IMPRINT_SIZES[algorithm]:
        raise TsaRejection("bad_data_format", f"a {algorithm} imprint is "
                           f"{IMPRINT_SIZES[algorithm]} bytes, not {len(hashed)}")
    policy = req["req_policy"].native
    if policy is not None and policy != POLICY_OID:
        raise TsaRejection("unaccepted_policy", f"this TSA issues tokens under policy "
                           f"{POLICY_OID} only, not {policy}")
    if req["extensions"].native:
        raise TsaRejection("unaccepted_extensions", "this TSA accepts no request extensions")
    nonce = req["nonce"].native
    return TimeStampRequest(algorithm, hashed, nonce, bool(req["cert_req"].native))


def rejection_response(rejection: TsaRejection) -> bytes:
    """A DER ``TimeStampResp`` with status rejection, the reason and the failInfo bit."""
    resp = TimeStampResp({"status": {
        "status": "rejection",
        "status_string": [rejection.text[:200]],
        "fail_info": tsp.PKIFailureInfo({rejection.fail_info}),
    }})
    return bytes(resp.dump())


def failure_response(text: str) -> bytes:
    """A DER ``TimeStampResp`` for a request the TSA could not serve (systemFailure)."""
    return rejection_response(TsaRejection("system_failure", text))


def tst_info(request: TimeStampRequest, serial: int, time_ms: int,
             tsa_name: x509.GeneralName) -> tsp.TSTInfo:
    """The ``TSTInfo``: serial and genTime (UTC, milliseconds) come from the ledger entry."""
    gen_time = datetime.datetime.fromtimestamp(time_ms / 1000, datetime.UTC)
    gen_time = gen_time.replace(microsecond=(time_ms % 1000) * 1000)
    fields: dict[str, object] = {
        "version": "v1",
        "policy": POLICY_OID,
        "message_imprint": {"hash_algorithm": {"algorithm": request.hash_algorithm},
                            "hashed_message": request.imprint},
        "serial_number": serial,
        "gen_time": gen_time,
        "tsa": tsa_name,
    }
    if request.nonce is not None:
        fields["nonce"] = request.nonce
    return tsp.TSTInfo(fields)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element (definite length)."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


_SEQUENCE, _SET, _OCTETS, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0


class TokenSigner:
    """Signs ``TimeStampToken`` for one TSA key and certificate.

    What is the same in every token (the certificate, the signer identifier, the
    algorithm identifiers, the signingCertificateV2 attribute) is encoded once with
    asn1crypto; each token then only needs its TSTInfo, digest and signature assembled,
    which keeps asn1crypto's per-object cost off the hot path.
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: cx509.Certificate) -> None:
        self.key = key
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        parsed = x509.Certificate.load(self.cert_der)
        self.tsa_name = x509.GeneralName(name="directory_name", value=parsed.subject)
        ess = tsp.SigningCertificateV2({"certs": [{
            "cert_hash": hashlib.sha256(self.cert_der).digest(),
            "issuer_serial": {
                "issuer": [x509.GeneralName(name="directory_name", value=parsed.issuer)],
                "serial_number": parsed.serial_number,
            },
        }]})
        self.static_attrs = [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}).dump(),
        ]
        self.sid = cms.IssuerAndSerialNumber({"issuer": parsed.issuer,
                                              "serial_number": parsed.serial_number}).dump()
        self.sha256 = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self.ecdsa = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}).dump()
        self.tst_info_oid = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()
        self.signed_data_oid = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
        self.granted = tsp.PKIStatusInfo({"status": "granted"}).dump()

    def response(self, info: tsp.TSTInfo, include_cert: bool) -> bytes:
        """A DER ``TimeStampResp`` with status granted and the signed token."""
        info_der = info.dump()
        digest = cms.CMSAttribute({"type": "message_digest",
                                   "values": [hashlib.sha256(info_der).digest()]}).dump()
        # DER orders a SET OF by its elements' encodings; the signature covers the
        # attributes as a SET OF (RFC 5652 5.4), stored with the [0] IMPLICIT tag.
        attrs = b"".join(sorted([*self.static_attrs, digest]))
        signature = self.key.sign(_tlv(_SET, attrs), ec.ECDSA(hashes.SHA256()))
        signer_info = _tlv(_SEQUENCE, b"".join([
            core.Integer(1).dump(), self.sid, self.sha256, _tlv(_CONTEXT_0, attrs),
            self.ecdsa, _tlv(_OCTETS, signature)]))
        encap = _tlv(_SEQUENCE, self.tst_info_oid
                     + _tlv(_CONTEXT_0, _tlv(_OCTETS, info_der)))
        signed_data = _tlv(_SEQUENCE, b"".join([
            core.Integer(3).dump(), _tlv(_SET, self.sha256), encap,
            _tlv(_CONTEXT_0, self.cert_der) if include_cert else b"",
            _tlv(_SET, signer_info)]))
        token = _tlv(_SEQUENCE, self.signed_data_oid + _tlv(_CONTEXT_0, signed_data))
        return _tlv(_SEQUENCE, self.granted + token)


def make_request(digest: bytes, nonce: int, algorithm: str = "sha256",
                 cert_req: bool = True) -> bytes:
    """A DER ``TimeStampReq`` for an imprint (the client side: ``ipledger stamp --rfc3161``)."""
    return bytes(tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm},
                            "hashed_message": digest},
        "nonce": nonce,
        "cert_req": cert_req,
    }).dump())


def check_reply(reply: bytes, digest: bytes, nonce: int) -> int:
    """The serialNumber of a granted reply for ``digest`` and ``nonce``; ValueError if the
    reply is a rejection or answers another request (the signature is left to verifiers
    such as ``openssl ts -verify``, which also check the chain)."""
    try:
        resp = TimeStampResp.load(reply, strict=True)
        status = resp["status"]
        if status["status"].native not in ("granted", "granted_with_mods"):
            texts = status["status_string"].native or []
            fail = status["fail_info"].native
            raise ValueError(f"the TSA refused: {'; '.join(texts)} "
                             f"({', '.join(sorted(fail)) if fail else 'no failInfo'})")
        signed = resp["time_stamp_token"]["content"]
        info = signed["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]["hashed_message"].native
        serial: int = info["serial_number"].native
        answered_nonce = info["nonce"].native
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a TimeStampResp: {exc}") from None
    if imprint != digest or answered_nonce != nonce:
        raise ValueError("the token is for another request (imprint or nonce differ)")
    return serial
