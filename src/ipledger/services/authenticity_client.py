"""Client side of product authenticity (docs/authenticity.md).

    result = register_batch(client, node, key, "EM", "000000001", product, serials, out_dir)
    set_distributors(client, node, owner_key, "EM", "000000001", [("P…", ["DE", "AT"])])
    inspect(client, node, customs_key, "DE", label_url, "DE", "Hamburg port", "released")
    answer = verify_url(client, label_url, node=node)

Salts are drawn here, on the owner's side; only the commitments leave it. The batch's
commitment list is written to ``OUT/commitments.txt`` and uploaded to the node's document
store; the signed entry goes to ``POST /v1/authenticity/batches``; only once the node has
registered it are the labels written: ``OUT/labels.csv`` (serial, salt, url) and one QR
code per item in ``OUT/qr/`` (PNG or SVG). Keep ``labels.csv`` like the labels themselves:
serial and salt together verify as genuine.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.services.auth_client import AuthError, login, logout
from ipledger.services.authenticity import Label
from ipledger.services.document_client import problem_text
from ipledger.services.entry_client import signed_entry, submit_entry
from ipledger.services.qr import qr_png, qr_svg
from ipledger.services.serials import (
    MEDIA_TYPE,
    SerialError,
    check_serial,
    commitment,
    encode_list,
    label_url,
    new_salt,
)

TIMEOUT = 600.0
QR_FORMATS = ("svg", "png", "none")


class AuthenticityClientError(Exception):
    """The node refused, could not be reached, or the input is not usable."""


@dataclass(frozen=True)
class BatchResult:
    batch: str  # SHA-256 of the commitment list
    count: int
    index: int  # the entry's index in the log
    labels: Path  # labels.csv


@contextlib.contextmanager
def http_client(node: str) -> Iterator[httpx.Client]:
    """The HTTP client the CLI talks to ``node`` with (tests substitute an in-process one)."""
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            yield client
    except httpx.HTTPError as exc:
        raise AuthenticityClientError(f"cannot reach {node}: {exc}") from None


def read_serials(path: Path) -> list[str]:
    """One serial per line (blank lines skipped); each checked, none repeated."""
    serials = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    if not serials:
        raise AuthenticityClientError(f"{path} lists no serials")
    seen: set[str] = set()
    for number, serial in enumerate(serials, 1):
        try:
            check_serial(serial)
        except SerialError as exc:
            raise AuthenticityClientError(f"{path}:{number}: {exc}") from None
        if serial in seen:
            raise AuthenticityClientError(f"{path}:{number}: serial {serial} is repeated")
        seen.add(serial)
    return serials


def _upload(client: httpx.Client, base: str, key: SigningKey, data: bytes) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        session = login(base, key, client=client)
    except AuthError as exc:
        raise AuthenticityClientError(f"cannot log in to {base}: {exc}") from None
    try:
        resp = client.put(f"{base}/v1/documents/{sha256}", content=data,
                          headers={"Content-Type": MEDIA_TYPE, **session.headers})
    finally:
        with contextlib.suppress(Exception):
            logout(session, client=client)
    if resp.status_code not in (200, 201):
        raise AuthenticityClientError(f"the node refused the commitment list: "
                                      f"{problem_text(resp)}")
    return sha256


def write_labels(out: Path, rows: Sequence[tuple[str, bytes, str]], qr: str) -> Path:
    """``out/labels.csv`` and, unless ``qr`` is "none", ``out/qr/<serial>.<qr>``."""
    labels = out / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["serial", "salt", "url"])
        for serial, salt, url in rows:
            writer.writerow([serial, salt.hex(), url])
    if qr != "none":
        (out / "qr").mkdir(exist_ok=True)
        for serial, _, url in rows:
            target = out / "qr" / f"{serial}.{qr}"
            if qr == "svg":
                target.write_text(qr_svg(url), encoding="ascii")
            else:
                target.write_bytes(qr_png(url))
    return labels


def register_batch(client: httpx.Client, node: str, key: SigningKey, office: str,
                   number: str, product: str, serials: Sequence[str], out: Path,
                   qr: str = "svg", base_url: str | None = None) -> BatchResult:
    """Commit to ``serials``, upload the list, register the batch, write its labels.

    The labels' URLs start with ``base_url``, else the public URL the node gives
    (``[server] public_url``)."""
    if qr not in QR_FORMATS:
        raise AuthenticityClientError(f"--qr must be one of {', '.join(QR_FORMATS)}")
    base = node.rstrip("/")
    out.mkdir(parents=True, exist_ok=True)
    salts = [new_salt() for _ in serials]
    try:
        items = [commitment(office, number, s, salt) for s, salt in zip(serials, salts,
                                                                         strict=True)]
        data = encode_list(items)
    except SerialError as exc:
        raise AuthenticityClientError(str(exc)) from None
    (out / "commitments.txt").write_bytes(data)
    sha256 = _upload(client, base, key, data)
    envelope = signed_entry(client, base, key, "authenticity.batch", {
        "office": office, "number": number, "product": product, "count": len(serials),
        "commitments_sha256": sha256})
    resp = client.post(f"{base}/v1/authenticity/batches", content=envelope,
                       headers={"Content-Type": "application/json"})
    if resp.status_code != 201:
        raise AuthenticityClientError(f"the node refused the batch: {problem_text(resp)}")
    done = resp.json()
    root = base_url or str(done["label_base"])
    rows = [(s, salt, label_url(root, office, number, s, salt))
            for s, salt in zip(serials, salts, strict=True)]
    labels = write_labels(out, rows, qr)
    return BatchResult(sha256, len(serials), int(done["index"]), labels)


def _submit(client: httpx.Client, node: str, key: SigningKey, entry_type: str,
            body: dict[str, Any]) -> int:
    resp = submit_entry(client, node.rstrip("/"), key, entry_type, body)
    if resp.status_code != 201:
        raise AuthenticityClientError(f"the node refused {entry_type}: {problem_text(resp)}")
    return int(resp.json()["index"])


def set_distributors(client: httpx.Client, node: str, key: SigningKey, office: str,
                     number: str, distributors: Sequence[tuple[str, Sequence[str]]]) -> int:
    """Name the mark's authorized distributors (an owner); the entry index."""
    return _submit(client, node, key, "authenticity.distributors", {
        "office": office, "number": number,
        "distributors": [{"party": p, "territory": list(t)} for p, t in distributors]})


def parse_label_url(url: str) -> dict[str, str]:
    """office, number, serial and salt from a label's URL."""
    query = parse_qs(urlsplit(url).query)
    try:
        return {k: query[k][0] for k in ("office", "number", "serial", "salt")}
    except KeyError as exc:
        raise AuthenticityClientError(f"the label URL has no {exc.args[0]}") from None


def label_commitment(url: str) -> str:
    label = parse_label_url(url)
    try:
        salt = bytes.fromhex(label["salt"])
        return commitment(label["office"], label["number"], label["serial"], salt).hex()
    except (ValueError, SerialError) as exc:
        raise AuthenticityClientError(f"the label's salt is not usable: {exc}") from None


def inspect(client: httpx.Client, node: str, key: SigningKey, authority: str, url: str,
            country: str, point: str, outcome: str) -> int:
    """Record a customs inspection of the item whose label carries ``url``; the index."""
    return _submit(client, node, key, "authenticity.inspect", {
        "authority": authority, "commitment": label_commitment(url), "country": country,
        "point": point, "outcome": outcome})


def _base(url: str, node: str | None) -> str:
    parts = urlsplit(url)
    return (node or f"{parts.scheme}://{parts.netloc}").rstrip("/")


def verify_url(client: httpx.Client, url: str, node: str | None = None,
               country: str | None = None, point: str | None = None,
               proofs: bool = False) -> dict[str, Any]:
    """The node's answer for a label (at ``node``, else at the label URL's own host);
    with ``proofs``, a genuine item's answer carries its batch's ``extract``."""
    params = {**parse_label_url(url), **({"country": country} if country else {}),
              **({"point": point} if point else {}), **({"proofs": "1"} if proofs else {})}
    resp = client.get(f"{_base(url, node)}/v1/authenticity/verify", params=params)
    if resp.status_code != 200:
        raise AuthenticityClientError(problem_text(resp))
    answer: dict[str, Any] = resp.json()
    return answer


def save_proof(client: httpx.Client, url: str, answer: dict[str, Any], out: Path,
               node: str | None = None) -> tuple[Path, Path]:
    """Write a genuine item's evidence for an offline check: ``out/extract.json`` (from an
    answer asked ``proofs``) and ``out/commitments.txt`` (its batch's list)."""
    if answer.get("extract") is None or answer.get("batch") is None:
        raise AuthenticityClientError(f"no proof to save: the item is {answer['verdict']}")
    sha256 = answer["batch"]["batch"]
    resp = client.get(f"{_base(url, node)}/v1/authenticity/batches/{sha256}/commitments")
    if resp.status_code != 200:
        raise AuthenticityClientError(f"cannot get the commitment list: {problem_text(resp)}")
    if hashlib.sha256(resp.content).hexdigest() != sha256:
        raise AuthenticityClientError("the node sent a commitment list that does not hash "
                                      "to the batch's SHA-256")
    out.mkdir(parents=True, exist_ok=True)
    extract, listed = out / "extract.json", out / "commitments.txt"
    extract.write_bytes(canonicalize(answer["extract"]))
    listed.write_bytes(resp.content)
    return extract, listed


def label_of(url: str) -> Label:
    """The label a URL carries (for offline checks)."""
    fields = parse_label_url(url)
    try:
        check_serial(fields["serial"])
        salt = bytes.fromhex(fields["salt"])
    except (ValueError, SerialError) as exc:
        raise AuthenticityClientError(f"the label URL is malformed: {exc}") from None
    return Label(fields["office"], fields["number"], fields["serial"], salt)
