"""Governance: offices and staff roles, set by entries the ledger's genesis key signs."""

from __future__ import annotations

from typing import Any

from ipledger.ledger import Rejection
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.records import office_record, party_record, role_record
from ipledger.registry.schema import Field, one_of, pattern, standard, text
from ipledger.standards.st3 import validate_st3

STAFF_ROLES = ("registrar", "examiner", "customs")  # customs: authenticity.inspect
_OFFICE = Field(str, check=standard(validate_st3))
_PARTY = Field(str, check=pattern(r"P[0-9A-F]{20}", "a party id like P0123456789ABCDEF0123"))


def register_office(ctx: EntryContext, body: dict[str, Any]) -> None:
    ctx.require_genesis()
    record = office_record(body["office"])
    if ctx.get(record) is not None:
        raise Rejection("already-exists", f"office {body['office']} is already registered",
                        "/body/office", status=409)
    ctx.put(record, {"office": body["office"], "name": body["name"],
                     "profile": body["profile"], "since": ctx.time_ms})


def _role_change(ctx: EntryContext, body: dict[str, Any], grant: bool) -> None:
    ctx.require_genesis()
    ctx.require(office_record(body["office"]), "office", "/body/office")
    if ctx.get(party_record(body["party"])) is None:
        raise Rejection("not-found", f"no party {body['party']}", "/body/party", status=422)
    record = role_record(body["office"], body["party"])
    roles = ctx.roles(body["office"], body["party"])
    if grant == (body["role"] in roles):
        state = "already has" if grant else "does not have"
        raise Rejection("invalid-transition", f"the party {state} the role {body['role']}",
                        "/body/role", status=409)
    roles = roles | {body["role"]} if grant else roles - {body["role"]}
    ctx.put(record, {"office": body["office"], "party": body["party"], "roles": sorted(roles)})


_ROLE_EXAMPLE = {"office": "EM", "party": "P4A1F2C3D4E5F60718293", "role": "registrar"}
ROLE_SCHEMA = {"office": _OFFICE, "party": _PARTY,
               "role": Field(str, check=one_of(*STAFF_ROLES))}

RULES = {
    "office.register": Rule(
        {"office": _OFFICE, "name": Field(str, check=text(200)),
         "profile": Field(str, check=pattern(r"[a-z][a-z0-9_-]{0,40}", "a profile name"))},
        register_office, "Admit an IP office to the ledger (genesis key).",
        {"office": "EM", "name": "European Union Intellectual Property Office",
         "profile": "euipo"}),
    "role.grant": Rule(ROLE_SCHEMA, lambda ctx, body: _role_change(ctx, body, True),
                       "Give a party a staff role at an office (genesis key).", _ROLE_EXAMPLE),
    "role.revoke": Rule(ROLE_SCHEMA, lambda ctx, body: _role_change(ctx, body, False),
                        "Take a staff role away (genesis key).", _ROLE_EXAMPLE),
}

SYSTEM_RULES: dict[str, Rule] = {}
