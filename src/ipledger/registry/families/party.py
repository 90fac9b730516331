"""Parties: registration, details changes with history, key rotation."""

from __future__ import annotations

from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.records import did_of, key_record, party_id_for, party_record
from ipledger.registry.schema import Field, one_of, pattern, standard, text
from ipledger.standards.iso639 import validate_iso639_1
from ipledger.standards.st3 import validate_st3_country

_DETAILS = {
    "name": Field(str, check=text(300)),
    "country": Field(str, check=standard(validate_st3_country)),
    "address": Field(str, required=False, check=text(500)),
    # Where and in which language the office writes to the party (web/back office mails).
    "email": Field(str, required=False, check=pattern(
        r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?",
        "a mail address like name@example.org")),
    "language": Field(str, required=False, check=standard(validate_iso639_1)),
}
_DETAIL_NAMES = tuple(_DETAILS)


def register_party(ctx: EntryContext, body: dict[str, Any]) -> None:
    if ctx.get(key_record(ctx.actor)) is not None:
        raise Rejection("already-exists", "this key already belongs to a party", "/actor",
                        status=409)
    party = party_id_for(ctx.actor)
    ctx.put(party_record(party), {
        "party": party, "kind": body["kind"],
        "details": [{"from": ctx.time_ms, "index": ctx.index,
                     **{k: body[k] for k in _DETAIL_NAMES if k in body}}],
        "keys": [did_of(ctx.actor)],
    })
    ctx.put(key_record(ctx.actor), {"party": party, "from": ctx.time_ms, "until": None})


def update_party(ctx: EntryContext, body: dict[str, Any]) -> None:
    if not body:
        raise Rejection("missing-field", f"one of {', '.join(_DETAIL_NAMES)} is required",
                        "/body")
    party = ctx.acting_party()
    record = ctx.party(party, "/actor")
    record["details"] = [*record["details"], {"from": ctx.time_ms, "index": ctx.index, **body}]
    ctx.put(party_record(party), record)


def rotate_key(ctx: EntryContext, body: dict[str, Any]) -> None:
    party = ctx.acting_party()
    new_key = body["new_key"]
    if new_key not in ctx.endorsers:
        raise Rejection("missing-endorsement",
                        "the new key must endorse its own adoption (an endorsement by new_key)",
                        "/endorsements", status=422)
    if ctx.get(key_record(new_key)) is not None:
        raise Rejection("already-exists", "the new key already belongs to a party",
                        "/body/new_key", status=409)
    old = ctx.get(key_record(ctx.actor))
    assert old is not None
    ctx.put(key_record(ctx.actor), {**old, "until": ctx.time_ms})
    ctx.put(key_record(new_key), {"party": party, "from": ctx.time_ms, "until": None})
    record = ctx.party(party, "/actor")
    record["keys"] = [*record["keys"], did_of(new_key)]
    ctx.put(party_record(party), record)


def link_parties(ctx: EntryContext, body: dict[str, Any]) -> None:
    """Two identities of one person or company (e.g. at two offices) become one global party.

    Both sides sign: the acting party, and a key of the other party valid now (an
    endorsement). The global id is the smallest party id of the linked set.
    """
    party = ctx.acting_party()
    other = body["party"]
    if other == party:
        raise Rejection("invalid-value", "a party cannot be linked to itself", "/body/party")
    other_record = ctx.party(other, "/body/party")
    endorsing = [ctx.key_is_valid(e) for e in ctx.endorsers]
    if not any(key is not None and key["party"] == other for key in endorsing):
        raise Rejection("missing-endorsement", f"a valid key of {other} must endorse the link",
                        "/endorsements", status=422)
    record = ctx.party(party, "/actor")
    members = sorted({*record.get("linked", [party]), *other_record.get("linked", [other])})
    for member in members:
        member_record = ctx.party(member, "/body/party")
        member_record["linked"] = members
        member_record["global_id"] = members[0]
        ctx.put(party_record(member), member_record)


RULES = {
    "party.link": Rule(
        {"party": Field(str, check=pattern(r"P[0-9A-F]{20}", "a party id"))},
        link_parties, "Link another identity of the same party (both sign); global id.",
        {"party": "P4A1F2C3D4E5F60718293"}),
    "party.register": Rule(
        {**_DETAILS, "kind": Field(str, check=one_of("natural", "legal"))},
        register_party, "Register the signing key's holder as a party.",
        {"name": "Aurora Brew GmbH", "country": "DE", "address": "Hafenstraße 5, 20457 Hamburg",
         "kind": "legal"}),
    "party.update": Rule(
        {k: Field(f.kind, required=False, check=f.check) for k, f in _DETAILS.items()},
        update_party, "Record a change of name, country, address, mail address or language "
        "(history is kept).",
        {"name": "Aurora Brew AG"}),
    "party.rotate_key": Rule(
        {"new_key": Field(str, check=text(300))},
        rotate_key, "Replace the signing key; the old key stops being valid at this time.",
        {"new_key": "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
                    "#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"}),
}

SYSTEM_RULES: dict[str, Rule] = {}
