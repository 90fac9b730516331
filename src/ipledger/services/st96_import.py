"""Bulk import of published trademarks: ST.96 XML files -> signed ``right.import`` entries.

Each file is read with ``trademark_from_st96_xml`` (``tmk:Trademark``, ``tmk:TrademarkBag``,
ST.96 ``tmk:TrademarkTransaction`` such as USPTO TSDR status files, and the pre-2014 TSDR
namespace); each record becomes one ``right.import`` entry signed with a registrar's key and
submitted in NDJSON batches to ``/v1/entries/batch``, like ``ipledger stamp``.

The lifecycle state of an imported right is, unless the caller forces one: the state the
record's ST.96 event categories lead to (refused, withdrawn, cancelled, surrendered…); for
USPTO records a few well-known TSDR status codes (:data:`USPTO_STATUS`); otherwise
``registered`` when a ``RegistrationDate`` is given, else what the events say (``published``
…) or ``filed``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ipledger.codec import canonicalize
from ipledger.identity import SigningKey
from ipledger.ledger import make_envelope
from ipledger.registry.families.imports import CATEGORY_ACTION, IMPORT_TYPE
from ipledger.services.stamp_client import Progress
from ipledger.standards.errors import StandardsError
from ipledger.standards.st96 import trademark_from_st96_xml
from ipledger.standards.st96.model import TrademarkJSON

# USPTO TSDR status codes whose meaning is unambiguous (others: from dates and events).
USPTO_STATUS = {
    "700": "registered", "800": "registered",  # registered; registered and renewed
    "709": "cancelled", "710": "cancelled", "711": "cancelled", "712": "cancelled",
    "713": "cancelled", "714": "cancelled",  # cancelled (sections 7, 8, 18, 24, court)
    "900": "expired",
}
_TERMINAL = frozenset({"refused", "withdrawn", "cancelled", "surrendered"})


def derive_state(record: TrademarkJSON | dict[str, Any]) -> str:
    """The lifecycle state a published record shows (see the module docstring)."""
    state = "filed"
    for event in record.get("MarkEventBag", []):
        state = CATEGORY_ACTION.get(event["MarkEventCategory"], ("", state))[1]
    if state in _TERMINAL:
        return state
    if record.get("RegistrationOfficeCode") == "US":
        known = USPTO_STATUS.get(record.get("MarkCurrentStatusCode", ""))
        if known:
            return known
    if "RegistrationDate" in record:
        return "registered"
    return state


@dataclass
class Item:
    """One record of one file: what is submitted, or why it could not be."""

    label: str  # FILE#i (number)
    body: dict[str, Any] | None = None
    problem: str | None = None


@dataclass
class ImportReport:
    imported: list[tuple[str, int]] = field(default_factory=list)  # label, ledger index
    rejected: list[tuple[str, str]] = field(default_factory=list)  # label, reason

    @property
    def ok(self) -> bool:
        return not self.rejected


def import_bodies(data: bytes, source: str, *, office: str | None = None,
                  state: str | None = None) -> Iterator[Item]:
    """The ``right.import`` bodies of one ST.96 document (or why it cannot be read)."""
    try:
        records = trademark_from_st96_xml(data)
    except (StandardsError, ValueError) as exc:
        rule = getattr(exc, "rule", "st96")
        pointer = getattr(exc, "pointer", "")
        yield Item(source, problem=f"{rule} at {pointer or '/'}: {getattr(exc, 'detail', exc)}")
        return
    for i, record in enumerate(records):
        rec: dict[str, Any] = dict(record)
        number = rec["ApplicationNumber"]["ApplicationNumberText"]
        label = f"{source}#{i} ({number})"
        code = rec.get("RegistrationOfficeCode") or office
        if code is None:
            yield Item(label, problem="the record names no RegistrationOfficeCode: pass --office")
            continue
        rec.setdefault("RegistrationOfficeCode", code)
        yield Item(label, body={"office": office or code, "kind": "trademark",
                                "state": state or derive_state(rec), "record": rec})


def import_files(
    paths: Sequence[Path], *, node: str, key: SigningKey, office: str | None = None,
    state: str | None = None, batch_size: int = 200, progress: bool = True,
    timeout: float = 120.0,
) -> ImportReport:
    """Import every record of every file; the report lists what was recorded or refused."""
    items: list[Item] = []
    for path in paths:
        items.extend(import_bodies(path.read_bytes(), str(path), office=office, state=state))
    report = ImportReport()
    report.rejected.extend((it.label, it.problem) for it in items if it.problem)
    todo = [it for it in items if it.body is not None]
    bar = Progress(len(todo), progress)
    base = node.rstrip("/")
    try:
        with httpx.Client(timeout=timeout) as client:
            origin = client.get(f"{base}/v1/log").raise_for_status().json()["origin"]
            for start in range(0, len(todo), batch_size):
                chunk = todo[start : start + batch_size]
                lines = [canonicalize(make_envelope(key, origin, IMPORT_TYPE, it.body or {}))
                         for it in chunk]
                resp = client.post(f"{base}/v1/entries/batch", content=b"\n".join(lines) + b"\n",
                                   headers={"Content-Type": "application/x-ndjson"})
                if resp.status_code != 200:
                    detail = (resp.json().get("detail", resp.text) if resp.content
                              else resp.status_code)
                    report.rejected.extend((it.label, f"batch refused: {detail}")
                                           for it in todo[start:])
                    break
                for it, result in zip(chunk, resp.json()["results"], strict=True):
                    if "receipt" in result:
                        report.imported.append((it.label, result["receipt"]["index"]))
                    else:
                        p = result["problem"]
                        report.rejected.append(
                            (it.label, f"{p.get('rule', '?')} at {p.get('pointer') or '/'}: "
                                       f"{p.get('detail', '')}"))
                bar.advance(len(chunk))
    except httpx.HTTPError as exc:
        done = {label for label, _ in report.imported} | {label for label, _ in report.rejected}
        report.rejected.extend((it.label, f"cannot reach the node at {base}: {exc}")
                               for it in todo if it.label not in done)
    bar.finish()
    return report


def print_report(report: ImportReport, out: Any = sys.stdout) -> None:
    for label, reason in report.rejected:
        print(f"REJECTED {label}: {reason}", file=out)
    print(f"imported {len(report.imported)}, rejected {len(report.rejected)}", file=out)


# -- a registrar for a fresh node -----------------------------------------------------


def bootstrap_office(data: Path, office: str, profile: str, registrar: SigningKey, *,
                     office_name: str | None = None, registrar_name: str | None = None,
                     country: str | None = None) -> list[str]:
    """Admit ``office`` and make ``registrar``'s holder its registrar, on a stopped node.

    Writes (each only if still needed) ``office.register`` and ``role.grant`` signed by the
    node's genesis key (``DATA/keys/genesis.key``) and ``party.register`` signed by the
    registrar's key, through the local ledger. Returns what was done.
    """
    from ipledger.codec import parse_json
    from ipledger.identity import did_key_url, read_private_key
    from ipledger.node import GENESIS_KEY_FILE, open_ledger
    from ipledger.registry.records import key_record, office_record, party_id_for, role_record

    genesis = read_private_key(data / GENESIS_KEY_FILE)
    ledger = open_ledger(data, validation_processes=False)
    done: list[str] = []
    try:
        def record(record_id: str) -> dict[str, Any] | None:
            raw = ledger.store.read_record(record_id)
            return None if raw is None else dict(parse_json(raw))

        def submit(signer: SigningKey, entry_type: str, body: dict[str, Any]) -> None:
            raw = canonicalize(make_envelope(signer, ledger.origin, entry_type, body))
            ledger.submit(raw).result(timeout=30)
            done.append(entry_type)

        if record(office_record(office)) is None:
            submit(genesis, "office.register", {"office": office, "profile": profile,
                                                "name": office_name or f"Office {office}"})
        did = did_key_url(registrar.public_key)
        party = party_id_for(did)
        if record(key_record(did)) is None:
            submit(registrar, "party.register", {
                "name": registrar_name or f"Registrar of {office}", "kind": "natural",
                "country": country or office})
        roles = record(role_record(office, party))
        if roles is None or "registrar" not in roles["roles"]:
            submit(genesis, "role.grant", {"office": office, "party": party,
                                           "role": "registrar"})
    finally:
        ledger.close()
        ledger.store.close()
    return done
