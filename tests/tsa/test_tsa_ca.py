"""The TSA's CA chain: made at init, made on first use for older nodes, or imported
(``ipledger tsa import``) with the key and the EKU checked."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ipledger.cli import main
from ipledger.node import init_node
from ipledger.services.tsa_ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    ENTRY_KEY_FILE,
    TSA_CERT_FILE,
    TSA_KEY_FILE,
    load_tsa,
    make_chain,
)
from tests.tsa.conftest import ORIGIN, TsaNode, verify


def _pem(*items: x509.Certificate | ec.EllipticCurvePrivateKey) -> bytes:
    out = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            out += item.public_bytes(serialization.Encoding.PEM)
        else:
            out += item.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption())
    return out


def test_init_makes_the_chain_with_private_keys_private(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init_node(data, ORIGIN)
    for name in (CA_KEY_FILE, TSA_KEY_FILE, ENTRY_KEY_FILE):
        assert (data / name).stat().st_mode & 0o077 == 0, name
    tsa = x509.load_pem_x509_certificate((data / TSA_CERT_FILE).read_bytes())
    ca = x509.load_pem_x509_certificate((data / CA_CERT_FILE).read_bytes())
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert tsa.issuer == ca.subject
    tsa.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_node_from_before_the_tsa_gets_its_chain_on_first_use(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init_node(data, ORIGIN)
    for name in (CA_KEY_FILE, TSA_KEY_FILE, ENTRY_KEY_FILE, CA_CERT_FILE, TSA_CERT_FILE):
        (data / name).unlink()
    identity = load_tsa(data, ORIGIN)
    assert (data / TSA_CERT_FILE).read_bytes() in identity.chain_pem()
    assert load_tsa(data, ORIGIN).cert == identity.cert  # made once, then kept


def _office_chain(tmp_path: Path, eku: bool = True) -> tuple[Path, Path]:
    """An office's own CA and TSA certificate (key in SEC1 PEM, as OpenSSL writes it)."""
    ca_key, ca_cert, tsa_key, tsa_cert = make_chain("office.example")
    if not eku:
        now = datetime.datetime.now(datetime.UTC)
        tsa_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no EKU")]))
            .issuer_name(ca_cert.subject).public_key(tsa_key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(
                now + datetime.timedelta(days=1))
            .sign(ca_key, hashes.SHA256()))
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain.write_bytes(_pem(tsa_cert, ca_cert))
    key.write_bytes(_pem(tsa_key))
    return chain, key


def test_import_an_office_chain_and_openssl_verifies_against_it(
        tsa_node: TsaNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chain, key = _office_chain(tmp_path)
    assert main(["tsa", "import", "--data", str(tsa_node.data), "--cert", str(chain),
                 "--key", str(key)]) == 0
    assert "office.example TSA" in capsys.readouterr().out
    assert not (tsa_node.data / CA_KEY_FILE).exists()
    tsa_node.client.app.state.tsa = None  # what a restart does: read the files again
    target = tsa_node.query("deed.txt", "-sha256", "-cert")
    reply = tsa_node.stamp(target)
    office_ca = tmp_path / "office-ca.pem"
    office_ca.write_bytes(chain.read_bytes().split(b"-----END CERTIFICATE-----\n", 1)[1])
    assert "Verification: OK" in verify(target, reply, tsa_node.data, office_ca)
    assert tsa_node.client.get("/tsa/certs").text == chain.read_text()


@pytest.mark.parametrize("problem", ["other key", "no EKU", "no issuer", "not PEM"])
def test_import_refuses_and_changes_nothing(tsa_node: TsaNode, tmp_path: Path, problem: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    chain, key = _office_chain(tmp_path, eku=problem != "no EKU")
    if problem == "other key":
        key.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    elif problem == "no issuer":
        chain.write_bytes(chain.read_bytes().split(b"-----END CERTIFICATE-----\n")[0]
                          + b"-----END CERTIFICATE-----\n")
    elif problem == "not PEM":
        chain.write_bytes(b"hello")
    before = {n: (tsa_node.data / n).read_bytes() for n in (TSA_KEY_FILE, TSA_CERT_FILE,
                                                           CA_CERT_FILE, CA_KEY_FILE)}
    assert main(["tsa", "import", "--data", str(tsa_node.data), "--cert", str(chain),
                 "--key", str(key)]) == 1
    expected = {"other key": "does not match", "no EKU": "extendedKeyUsage",
                "no issuer": "issuing CA", "not PEM": "not PEM"}[problem]
    assert expected in capsys.readouterr().err
    assert before == {n: (tsa_node.data / n).read_bytes() for n in before}


def test_doctor_checks_the_tsa_and_not_as_ed25519_keys(
        tsa_node: TsaNode, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--data", str(tsa_node.data)]) == 0
    out = capsys.readouterr().out
    assert "tsa" in out and "TSA" in out and "keys/tsa.key" not in out
    (tsa_node.data / TSA_KEY_FILE).chmod(0o644)
    assert main(["doctor", "--data", str(tsa_node.data)]) == 1
    assert "group or others can read" in capsys.readouterr().out
