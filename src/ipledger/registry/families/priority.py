"""Priority documents exchanged between offices (the WIPO DAS model).

A depositing office's registrar deposits a priority document: the file stays off the ledger
(the document store), the record ``priority/<office>/<number>`` keeps its SHA-256 and media
type, the applicants, and ``access_code_hash`` = SHA-256(salt || access code), never the
code: the office hands the code to the applicant out of band. The applicant authorizes
accessing offices by a signed entry. A registrar of an authorized accessing office records
every retrieval as ``priority.access`` with the presented code's salted hash: a match or a
miss is an entry either way (the deposit's access history says which), so wrong codes are
counted in the register; after ``MAX_FAILED`` misses the deposit is locked until an
applicant authorizes again.

A later filing's priority claim may reference a deposit (``registry/priority_claims.py``
checks it); ``priority.claim`` adds a claim after filing where the office profile allows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import date_of_ms, format_iso_date, parse_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.families.rights import RULES as RIGHT_RULES
from ipledger.registry.families.rights import (
    _office_profile,
    _party_to_the_file,
    the_right,
)
from ipledger.registry.lifecycle import LIFE_STATUS
from ipledger.registry.priority_claims import (
    CLAIM,
    CLAIM_EXAMPLE,
    FILING_DATE,
    KIND,
    check_claim,
    priority_date,
)
from ipledger.registry.records import office_record, party_record, priority_record
from ipledger.registry.schema import Field, pattern, st3_codes, standard
from ipledger.standards.st3 import validate_st3

MAX_FAILED = 5
_OFFICE = Field(str, check=standard(validate_st3))
_NUMBER = Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an application number"))
_SHA256 = RIGHT_RULES["right.add_document"].schema["sha256"]
_MEDIA_TYPE = RIGHT_RULES["right.add_document"].schema["media_type"]
_SALT = RIGHT_RULES["right.disclose"].schema["salt"]
_APPLICANTS = RIGHT_RULES["right.file"].schema["applicants"]


def access_code_hash(salt_hex: str, code: str) -> str:
    """SHA-256(salt || UTF-8 code), as a deposit keeps it and an access presents it."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + code.encode()).hexdigest()


_offices = st3_codes(50)


def public_status(deposit: Mapping[str, Any]) -> dict[str, Any]:
    """What anyone may see of a deposit: all but the access code's hash (the salt stays:
    an accessing office needs it to present a code)."""
    return {k: v for k, v in deposit.items() if k != "access_code_hash"}


def _deposit(ctx: EntryContext, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    record_id = priority_record(body["office"], body["number"])
    return record_id, ctx.require(record_id, "priority deposit", "/body/number")


def deposit(ctx: EntryContext, body: dict[str, Any]) -> None:
    if parse_iso_date(body["filing_date"]) > date_of_ms(ctx.time_ms):
        raise Rejection("invalid-value", "the application's filing date is in the future",
                        "/body/filing_date")
    ctx.require(office_record(body["office"]), "office", "/body/office")
    party = ctx.require_role(body["office"], "registrar")
    for i, applicant in enumerate(body["applicants"]):
        ctx.require(party_record(applicant), "party", f"/body/applicants/{i}")
    record_id = priority_record(body["office"], body["number"])
    if ctx.get(record_id) is not None:
        raise Rejection("already-exists", f"{body['office']} {body['number']} is already "
                        "deposited", "/body/number", status=409)
    ctx.put(record_id, {
        "office": body["office"], "number": body["number"],
        "filing_date": body["filing_date"], **({"kind": body["kind"]} if "kind" in body else {}),
        "sha256": body["sha256"], "media_type": body["media_type"],
        "applicants": sorted(set(body["applicants"])),
        "salt": body["salt"], "access_code_hash": body["access_code_hash"],
        "deposited": {"index": ctx.index, "time_ms": ctx.time_ms, "by": party},
        "authorized": [], "authorizations": [], "failed_attempts": 0, "locked": False,
        "accesses": []})


def authorize(ctx: EntryContext, body: dict[str, Any]) -> None:
    record_id, record = _deposit(ctx, body)
    party = ctx.acting_party()
    if party not in record["applicants"]:
        raise Rejection("not-authorized", "only an applicant of the deposit may authorize "
                        "accessing offices", "/actor", status=403)
    record["authorized"] = sorted(set(record["authorized"]) | set(body["offices"]))
    record["authorizations"].append({"offices": sorted(body["offices"]), "by": party,
                                     "index": ctx.index, "time_ms": ctx.time_ms})
    record["failed_attempts"], record["locked"] = 0, False  # the applicant vouches again
    ctx.put(record_id, record)


def access(ctx: EntryContext, body: dict[str, Any]) -> None:
    record_id, record = _deposit(ctx, body)
    office = body["accessing_office"]
    party = ctx.require_role(office, "registrar")
    if office not in record["authorized"]:
        raise Rejection("not-authorized", f"the applicant has not authorized office {office} "
                        "to retrieve this document", "/body/accessing_office", status=403)
    if record["locked"]:
        raise Rejection("locked", f"{MAX_FAILED} wrong access codes: the deposit is locked "
                        "until the applicant authorizes again", "/body/number", status=423)
    ok = body["code_hash"] == record["access_code_hash"]
    record["accesses"].append({"office": office, "by": party, "ok": ok, "index": ctx.index,
                               "time_ms": ctx.time_ms})
    if not ok:
        record["failed_attempts"] += 1
        record["locked"] = record["failed_attempts"] >= MAX_FAILED
    ctx.put(record_id, record)


def claim(ctx: EntryContext, body: dict[str, Any]) -> None:
    """Add a priority claim to a pending application, until ``priority_claim_period``
    after the priority date as this claim leaves it (PCT Rule 26bis.1(a): 16 months; its
    alternative of 4 months from filing never ends later within the 12-month period)."""
    record_id, right = the_right(ctx, body)
    party = _party_to_the_file(ctx, right, body, "claim priority")
    period = _office_profile(ctx, body["office"]).rules(body["kind"]).priority_claim_period
    if period is None:
        raise Rejection("invalid-transition", f"office {body['office']} takes priority claims "
                        f"for a {body['kind'].replace('_', ' ')} only with the application",
                        "/body/claim", status=409)
    if LIFE_STATUS.get(right["state"]) != "pending":
        raise Rejection("invalid-transition", f"the right is {right['state']}: priority can be "
                        "claimed only while the application is pending", "/body/number",
                        status=409)
    filing = parse_iso_date(right["dates"]["filing_date"])
    existing = right.get("priority_claims", [])
    stored = check_claim(ctx, body["kind"], filing, body["claim"], existing, "/body/claim")
    first = priority_date([*existing, stored])
    assert first is not None
    deadline = period.after(first)
    if date_of_ms(ctx.time_ms) > deadline:
        raise Rejection("priority-period-expired", f"priority claims could be added until "
                        f"{format_iso_date(deadline)} ({period} after the priority date "
                        f"{format_iso_date(first)})", "/body/claim", status=422)
    right["priority_claims"] = [*existing, {**stored, "index": ctx.index, "by": party}]
    ctx.put(record_id, right)


_ID = {"office": _OFFICE, "number": _NUMBER}
_EXAMPLE_ID = {"office": "EM", "number": "018000001"}

RULES = {
    "priority.deposit": Rule({
        **_ID, "filing_date": FILING_DATE, "kind": Field(str, required=False, check=KIND.check),
        "sha256": _SHA256, "media_type": _MEDIA_TYPE, "applicants": _APPLICANTS,
        "salt": _SALT, "access_code_hash": _SHA256,
    }, deposit, "Deposit a priority document (registrar of the depositing office): the "
       "application's filing date (and kind), the document's SHA-256, and SHA-256(salt || "
       "access code), never the code.", {
        **_EXAMPLE_ID, "filing_date": "2026-03-02", "kind": "trademark", "sha256": "9f2c" * 16,
        "media_type": "application/pdf",
        "applicants": ["P4A1F2C3D4E5F60718293"], "salt": "5a17" * 8,
        "access_code_hash": "77ab" * 16}),
    "priority.authorize": Rule({**_ID, "offices": Field(list, check=_offices)}, authorize,
                               "Let accessing offices retrieve a priority document (an "
                               "applicant; also unlocks it).", {**_EXAMPLE_ID,
                                                                "offices": ["US", "JP"]}),
    "priority.access": Rule({
        **_ID, "accessing_office": _OFFICE, "code_hash": _SHA256,
    }, access, "Record a retrieval by an authorized accessing office (registrar), with "
       "SHA-256(salt || presented code); a wrong code is recorded and counted.", {
        **_EXAMPLE_ID, "accessing_office": "US", "code_hash": "77ab" * 16}),
    "priority.claim": Rule({
        "office": RIGHT_RULES["right.act"].schema["office"],
        "kind": RIGHT_RULES["right.act"].schema["kind"],
        "number": RIGHT_RULES["right.act"].schema["number"], "claim": CLAIM,
    }, claim, "Add a priority claim to a pending application after filing, where the office "
       "profile allows it (priority_claim_period), optionally referencing a deposited "
       "priority document by its SHA-256.", {
        "office": "US", "kind": "patent", "number": "18123456",
        "claim": {**CLAIM_EXAMPLE, "kind": "patent"}}),
}

SYSTEM_RULES: dict[str, Rule] = {}
