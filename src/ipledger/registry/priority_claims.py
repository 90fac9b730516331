"""Priority claims (Paris Convention Art. 4) of a filing, checked at ledger time.

A claim names the earlier application (office, number, filing date, kind) and may reference
a priority document deposited in this register (``priority/<office>/<number>``, the WIPO
DAS model) by its SHA-256. The rules check, from the entry and the register alone:

- the kinds: Art. 4 gives priority to patents, utility models, industrial designs and
  trademarks; Art. 4E lets a patent and a utility model claim each other, and a design claim
  a utility model (with the design period);
- the period: 12 months for patents and utility models, 6 months for designs and marks
  (Art. 4C(1)), counted from the earlier filing date, that day excluded (Art. 4C(2)), so the
  later application may be filed on the same-numbered day 12 (6) months on;
- a referenced deposit exists, holds the referenced SHA-256, and is of the claimed
  application (office, number, filing date, kind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.calendar import add_months, parse_iso_date
from ipledger.registry.context import EntryContext
from ipledger.registry.records import priority_record
from ipledger.registry.right_data import iso_date
from ipledger.registry.schema import Field, check_object, one_of, pattern, standard
from ipledger.standards.st3 import validate_st3

PRIORITY_MONTHS: Mapping[str, int] = {"patent": 12, "utility_model": 12,
                                      "industrial_design": 6, "trademark": 6}
# Which earlier kinds a later kind may claim (Paris Convention Art. 4A, 4E).
EARLIER_KINDS: Mapping[str, tuple[str, ...]] = {
    "patent": ("patent", "utility_model"),
    "utility_model": ("utility_model", "patent"),
    "industrial_design": ("industrial_design", "utility_model"),
    "trademark": ("trademark",),
}
MAX_CLAIMS = 50

OFFICE = Field(str, check=standard(validate_st3))
NUMBER = Field(str, check=pattern(r"[A-Za-z0-9/.,-]{1,40}", "an application number"))
SHA256 = Field(str, check=pattern(r"[0-9a-f]{64}", "64 lowercase hex digits (a SHA-256)"))
KIND = Field(str, check=one_of(*PRIORITY_MONTHS))
FILING_DATE = Field(str, check=iso_date)



def _object_of(fields: Mapping[str, Field]) -> Callable[[Any, str], None]:
    def check(value: Any, pointer: str) -> None:
        check_object(value, fields, pointer)
    return check


CLAIM_FIELDS = {"office": OFFICE, "number": NUMBER, "filing_date": FILING_DATE, "kind": KIND,
                "deposit": Field(dict, required=False, check=_object_of(
                    {"office": OFFICE, "number": NUMBER, "sha256": SHA256}))}
CLAIM_EXAMPLE = {"office": "EM", "number": "018000001", "filing_date": "2026-03-02",
                 "kind": "trademark", "deposit": {"office": "EM", "number": "018000001",
                                                  "sha256": "9f2c" * 16}}


def _claims(value: list[Any], pointer: str) -> None:
    if not 1 <= len(value) <= MAX_CLAIMS:
        raise Rejection("invalid-value", f"must list 1-{MAX_CLAIMS} claims", pointer)
    for i, item in enumerate(value):
        _object_of(CLAIM_FIELDS)(item, f"{pointer}/{i}")


CLAIMS = Field(list, required=False, check=_claims)
CLAIM = Field(dict, check=_object_of(CLAIM_FIELDS))


def priority_period_end(later_kind: str, earlier_filing: date) -> date:
    """The last day the later application may be filed with this priority (Art. 4C)."""
    return add_months(earlier_filing, PRIORITY_MONTHS[later_kind])


def priority_date(claims: Sequence[Mapping[str, Any]]) -> date | None:
    """The earliest claimed filing date (the application's priority date), if any."""
    return min((parse_iso_date(c["filing_date"]) for c in claims), default=None)


def check_claim(ctx: EntryContext, later_kind: str, later_filing: date,
                claim: Mapping[str, Any], existing: Sequence[Mapping[str, Any]],
                pointer: str) -> dict[str, Any]:
    """The claim as the right keeps it; a Rejection (naming the field) if it fails a rule."""
    if later_kind not in EARLIER_KINDS:
        raise Rejection("priority-not-available", f"the Paris Convention gives no right of "
                        f"priority to a {later_kind.replace('_', ' ')}", pointer, status=422)
    if claim["kind"] not in EARLIER_KINDS[later_kind]:
        raise Rejection("priority-not-available", f"a {later_kind.replace('_', ' ')} may "
                        f"claim the priority of: {', '.join(EARLIER_KINDS[later_kind])}",
                        f"{pointer}/kind", status=422)
    earlier = parse_iso_date(claim["filing_date"])
    if earlier > later_filing:
        raise Rejection("invalid-value", "the earlier application must be filed on or before "
                        f"this filing ({later_filing.isoformat()})", f"{pointer}/filing_date")
    ends = priority_period_end(later_kind, earlier)
    if later_filing > ends:
        raise Rejection("priority-period-expired", f"the {PRIORITY_MONTHS[later_kind]}-month "
                        f"priority period of an application filed {earlier.isoformat()} ended "
                        f"{ends.isoformat()}; this one was filed {later_filing.isoformat()}",
                        f"{pointer}/filing_date", status=422)
    if any((c["office"], c["number"]) == (claim["office"], claim["number"]) for c in existing):
        raise Rejection("already-exists", f"the priority of {claim['office']} "
                        f"{claim['number']} is already claimed", f"{pointer}/number", status=409)
    ref = claim.get("deposit")
    if ref is not None:
        _check_deposit(ctx, claim, ref, f"{pointer}/deposit")
    return {k: claim[k] for k in CLAIM_FIELDS if k in claim}


def _check_deposit(ctx: EntryContext, claim: Mapping[str, Any], ref: Mapping[str, Any],
                   pointer: str) -> None:
    deposit = ctx.require_shared(priority_record(ref["office"], ref["number"]),
                                 "priority deposit", f"{pointer}/number")
    if ref["sha256"] != deposit["sha256"]:
        raise Rejection("hash-mismatch", "the deposited priority document has another SHA-256 "
                        f"({deposit['sha256']})", f"{pointer}/sha256")
    stated = {"office": deposit["office"], "number": deposit["number"],
              "filing_date": deposit["filing_date"], "kind": deposit.get("kind", claim["kind"])}
    for key, value in stated.items():
        if claim[key] != value:
            raise Rejection("priority-mismatch", f"the claim's {key.replace('_', ' ')} "
                            f"{claim[key]!r} is not the deposit's ({value!r})",
                            f"{pointer[:-len('/deposit')]}/{key}", status=422)
