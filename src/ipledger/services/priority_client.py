"""Client side of priority documents (WIPO DAS model, docs/priority-documents.md).

    code, index = deposit(node, path, registrar_key, "EM", "018000001", [applicant])
    authorize(node, applicant_key, "EM", "018000001", ["US"])
    size = retrieve(node, us_registrar_key, "EM", "018000001", "US", code, out)

The access code and its salt are drawn here, on the depositing office's side; only
SHA-256(salt || code) goes to the ledger, and the code is handed to the applicant.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from ipledger.identity import SigningKey
from ipledger.registry.families.priority import access_code_hash
from ipledger.services.document_client import (
    DocumentClientError,
    guess_media_type,
    problem_text,
    upload_document,
)
from ipledger.services.entry_client import signed_entry, submit_entry
from ipledger.services.stamp_client import write_beside

CODE_BYTES = 16  # 128 random bits: the salted hash is public, so the code must resist guessing
TIMEOUT = 60.0


class PriorityClientError(Exception):
    """The node refused, could not be reached, or sent bytes that are not the deposit's."""


def new_access_code() -> tuple[str, str]:
    """A fresh (code, salt hex): the code for the applicant, the salt for the ledger."""
    return secrets.token_urlsafe(CODE_BYTES), secrets.token_hex(16)


def _url(node: str, office: str, number: str) -> str:
    return f"{node.rstrip('/')}/v1/priority/{quote(office, safe='')}/{quote(number, safe='')}"


def _submit(node: str, key: SigningKey, entry_type: str, body: dict[str, Any]) -> int:
    base = node.rstrip("/")
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            resp = submit_entry(client, base, key, entry_type, body)
    except httpx.HTTPError as exc:
        raise PriorityClientError(f"cannot reach {base}: {exc}") from None
    if resp.status_code != 201:
        raise PriorityClientError(f"the node refused {entry_type}: {problem_text(resp)}")
    return int(resp.json()["index"])


def deposit(node: str, path: Path, key: SigningKey, office: str, number: str,
            applicants: Sequence[str], filing_date: str, media_type: str | None = None,
            kind: str | None = None) -> tuple[str, int]:
    """Store ``path`` in the node's document store and deposit it as the priority document
    of application ``number`` filed on ``filing_date``; return the new access code (shown
    nowhere else) and the deposit's entry index."""
    media = media_type or guess_media_type(path)
    if not media:
        raise PriorityClientError(f"cannot tell the media type of {path.name}: give "
                                  "--media-type")
    try:
        sha256, _ = upload_document(node, path, key, media)
    except DocumentClientError as exc:
        raise PriorityClientError(str(exc)) from None
    code, salt = new_access_code()
    index = _submit(node, key, "priority.deposit", {
        "office": office, "number": number, "filing_date": filing_date,
        **({"kind": kind} if kind else {}), "sha256": sha256, "media_type": media,
        "applicants": list(applicants), "salt": salt,
        "access_code_hash": access_code_hash(salt, code)})
    return code, index


def authorize(node: str, key: SigningKey, office: str, number: str,
              offices: Sequence[str]) -> int:
    """Let ``offices`` retrieve the deposit (signed by an applicant); the entry index."""
    return _submit(node, key, "priority.authorize",
                   {"office": office, "number": number, "offices": list(offices)})


def retrieve(node: str, key: SigningKey, office: str, number: str, accessing_office: str,
             code: str, out: Path) -> int:
    """Present ``code`` as a registrar of ``accessing_office``; write the document to
    ``out`` only if it hashes to the deposited SHA-256. Returns its size."""
    base, url = node.rstrip("/"), _url(node, office, number)
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            status = client.get(url)
            if status.status_code != 200:
                raise PriorityClientError(f"no deposit {office} {number}: "
                                          f"{problem_text(status)}")
            deposit = status.json()
            envelope = signed_entry(client, base, key, "priority.access", {
                "office": office, "number": number, "accessing_office": accessing_office,
                "code_hash": access_code_hash(deposit["salt"], code)})
            resp = client.post(f"{url}/retrieve", content=envelope,
                               headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        raise PriorityClientError(f"cannot reach {base}: {exc}") from None
    if resp.status_code != 200:
        raise PriorityClientError(problem_text(resp))
    actual = hashlib.sha256(resp.content).hexdigest()
    if actual != deposit["sha256"]:
        raise PriorityClientError(f"the node sent bytes that hash to {actual}, not the "
                                  f"deposited {deposit['sha256']}: not kept")
    write_beside(out, "", resp.content)
    return len(resp.content)
