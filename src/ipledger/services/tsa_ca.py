"""The time-stamping authority's keys and certificates: made at ``init``, or imported.

``DATA/keys/tsa-ca.key`` + ``DATA/tsa-ca.pem``: a self-signed root CA (absent if the office
imported a chain of its own CA). ``DATA/keys/tsa.key`` + ``DATA/tsa.pem``: the ECDSA P-256
TSA key and its certificate (critical extendedKeyUsage id-kp-timeStamping, RFC 3161 2.3).
``DATA/keys/tsa-entry.key``: the Ed25519 key that signs the ``evidence.stamp`` entry of each
token (kept apart from the log key, so no key signs two kinds of message).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ipledger.identity import SigningKey, read_private_key, write_private_key
from ipledger.identity.keyfile import write_file_atomic

CA_KEY_FILE = "keys/tsa-ca.key"
TSA_KEY_FILE = "keys/tsa.key"
ENTRY_KEY_FILE = "keys/tsa-entry.key"
CA_CERT_FILE = "tsa-ca.pem"
TSA_CERT_FILE = "tsa.pem"
#: The ECDSA (not Ed25519) private keys under DATA/keys/.
ECDSA_KEY_FILES = (CA_KEY_FILE, TSA_KEY_FILE)
_CA_YEARS = 20
_TSA_YEARS = 10
_MAX_PEM = 1 << 20


class TsaSetupError(Exception):
    """The TSA's keys or certificates are missing, inconsistent or unusable."""


@dataclass(frozen=True)
class TsaIdentity:
    """What signs tokens: the TSA key, its certificate and the CA chain above it."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # issuers, nearest first
    entry_key: SigningKey

    def chain_pem(self) -> bytes:
        """The TSA certificate then its issuers, PEM (``GET /tsa/certs``)."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM)
                        for c in (self.cert, *self.chain))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def make_chain(origin: str, now: datetime.datetime | None = None) -> tuple[
        ec.EllipticCurvePrivateKey, x509.Certificate, ec.EllipticCurvePrivateKey,
        x509.Certificate]:
    """A new root CA (key, certificate) and a TSA (key, certificate) it issued."""
    now = now or datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    ca_name, tsa_name = _name(f"{origin} TSA root CA"), _name(f"{origin} TSA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * _CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                     False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tsa_cert = (
        x509.CertificateBuilder().subject_name(tsa_name).issuer_name(ca_name)
        .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * _TSA_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                     False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert, tsa_key, tsa_cert


def _write_entry_key(data: Path) -> None:
    if not (data / ENTRY_KEY_FILE).exists():
        write_private_key(data / ENTRY_KEY_FILE, SigningKey.generate())


def create_tsa(data: Path, origin: str) -> None:
    """Make the CA chain and keys in ``data`` (refuses to overwrite any of them)."""
    ca_key, ca_cert, tsa_key, tsa_cert = make_chain(origin)
    write_file_atomic(data / CA_KEY_FILE, _key_pem(ca_key), 0o600, False)
    write_file_atomic(data / TSA_KEY_FILE, _key_pem(tsa_key), 0o600, False)
    write_file_atomic(data / CA_CERT_FILE, _cert_pem(ca_cert), 0o644, False)
    write_file_atomic(data / TSA_CERT_FILE, _cert_pem(tsa_cert), 0o644, False)
    _write_entry_key(data)


def _certifies(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return (cert.public_key().public_bytes(serialization.Encoding.DER, spki)
            == key.public_key().public_bytes(serialization.Encoding.DER, spki))


def check_tsa_certificate(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    """Refuse a certificate that is not ``key``'s or lacks the critical time-stamping EKU."""
    if not _certifies(cert, key):
        raise TsaSetupError("the key does not match the TSA certificate")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TsaSetupError("the TSA certificate has no extendedKeyUsage extension") from None
    if list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING] or not eku.critical:
        raise TsaSetupError("the TSA certificate's extendedKeyUsage must be critical and "
                            "exactly id-kp-timeStamping (RFC 3161 2.3)")


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TsaSetupError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > _MAX_PEM:
        raise TsaSetupError(f"{path}: too large for a PEM file")
    return data


def _load_key(pem: bytes, where: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TsaSetupError(f"{where}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise TsaSetupError(f"{where}: the TSA key must be ECDSA P-256")
    return key


def _load_certs(pem: bytes, where: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise TsaSetupError(f"{where}: not PEM certificates ({exc})") from None


def import_tsa(data: Path, chain_file: Path, key_file: Path) -> x509.Certificate:
    """Install an office's own TSA certificate (first in ``chain_file``, its issuers after
    it) and key; replaces the TSA key and certificates, never the entry key."""
    key = _load_key(_read(key_file), key_file)
    certs = _load_certs(_read(chain_file), chain_file)
    matching = [c for c in certs if _certifies(c, key)]
    if not matching:
        raise TsaSetupError("the key does not match any certificate in the chain")
    cert = matching[0]
    check_tsa_certificate(cert, key)
    issuers = [c for c in certs if c is not cert]
    if not issuers:
        raise TsaSetupError("the chain must hold the TSA certificate's issuing CA too")
    write_file_atomic(data / TSA_KEY_FILE, _key_pem(key), 0o600, True)
    write_file_atomic(data / TSA_CERT_FILE, _cert_pem(cert), 0o644, True)
    write_file_atomic(data / CA_CERT_FILE, _cert_pem(*issuers), 0o644, True)
    (data / CA_KEY_FILE).unlink(missing_ok=True)  # the old self-made CA no longer applies
    _write_entry_key(data)
    return cert


def load_tsa(data: Path, origin: str) -> TsaIdentity:
    """The node's TSA identity, made on first use for nodes created before the TSA."""
    if not (data / TSA_KEY_FILE).exists():
        create_tsa(data, origin)
    key = _load_key(_read(data / TSA_KEY_FILE), data / TSA_KEY_FILE)
    certs = _load_certs(_read(data / TSA_CERT_FILE), data / TSA_CERT_FILE)
    chain = _load_certs(_read(data / CA_CERT_FILE), data / CA_CERT_FILE)
    check_tsa_certificate(certs[0], key)
    _write_entry_key(data)
    return TsaIdentity(key, certs[0], tuple(chain), read_private_key(data / ENTRY_KEY_FILE))


def inspect_tsa(data: Path) -> str:
    """What ``ipledger doctor`` reports: the TSA's key files private, the key matching
    its certificate, the certificate valid now; a TsaSetupError says what is wrong."""
    if not (data / TSA_KEY_FILE).exists():
        return "not set up yet: made on first use (POST /tsa)"
    for name in ECDSA_KEY_FILES:
        path = data / name
        if path.exists() and path.stat().st_mode & 0o077:
            raise TsaSetupError(f"{path}: group or others can read the private key")
    key = _load_key(_read(data / TSA_KEY_FILE), data / TSA_KEY_FILE)
    cert = _load_certs(_read(data / TSA_CERT_FILE), data / TSA_CERT_FILE)[0]
    check_tsa_certificate(cert, key)
    if cert.not_valid_after_utc < datetime.datetime.now(datetime.UTC):
        raise TsaSetupError(f"the TSA certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return (f"{cert.subject.rfc4514_string()}, valid until "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, key mode 0600")
