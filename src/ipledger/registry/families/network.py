"""Network governance of a shared ledger: its member offices, their cosigner keys, the quorum.

The record ``network/members`` holds the current members (name and tlog-cosignature
verifier key), the quorum of cosignatures that makes a checkpoint final, the tree size
from which they apply, and every earlier membership. ``network.genesis`` (the genesis key,
once) sets the founding members; every later change needs the signatures (the actor's and
the endorsements) of at least a quorum of the current members, each signing with the
Ed25519 key of its cosigner verifier key (as a ``did:key``).
"""

from __future__ import annotations

from typing import Any

from ipledger.identity import DidError, public_key_from_did
from ipledger.ledger import Rejection
from ipledger.log.cosignature import CosignatureError, parse_cosigner_vkey
from ipledger.registry.context import EntryContext
from ipledger.registry.families.base import Rule
from ipledger.registry.schema import Field, pattern

MEMBERS_RECORD = "network/members"
_check_name = pattern(r"[A-Za-z0-9_-]{1,64}", "1-64 letters, digits, '_' or '-'")
_NAME = Field(str, check=_check_name)
_QUORUM = Field(int)


def _cosigner(value: str, name: str, pointer: str) -> bytes:
    try:
        vkey_name, public_key = parse_cosigner_vkey(value)
    except CosignatureError as exc:
        raise Rejection("invalid-value", f"not a cosigner verifier key: {exc}", pointer) from None
    if vkey_name != name:
        raise Rejection("invalid-value", f"the key is named {vkey_name!r}, not {name!r}",
                        pointer)
    return public_key


def _checked_members(raw: object, pointer: str) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise Rejection("wrong-type", "members must be a non-empty list", pointer)
    members: list[dict[str, str]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"name", "cosigner"} \
                or not all(isinstance(v, str) for v in item.values()):
            raise Rejection("wrong-type", "a member is {name, cosigner}", f"{pointer}/{i}")
        _check_name(item["name"], f"{pointer}/{i}/name")
        _cosigner(item["cosigner"], item["name"], f"{pointer}/{i}/cosigner")
        members.append({"name": item["name"], "cosigner": item["cosigner"]})
    names = [m["name"] for m in members]
    if len(set(names)) != len(names):
        raise Rejection("invalid-value", "member names must be unique", pointer)
    return sorted(members, key=lambda m: m["name"])


def _check_quorum(quorum: int, members: list[dict[str, str]], pointer: str) -> None:
    if not 1 <= quorum <= len(members):
        raise Rejection("invalid-value", f"the quorum must be in 1..{len(members)} "
                        f"(the number of members)", pointer)


def current(ctx: EntryContext) -> dict[str, Any]:
    state = ctx.get(MEMBERS_RECORD)
    if state is None:
        raise Rejection("not-found", "the network has no members yet (network.genesis first)",
                        "/type", status=409)
    return state


def _signing_members(ctx: EntryContext, members: list[dict[str, str]]) -> set[str]:
    """Members whose cosigner key signed this entry (as its actor or an endorser)."""
    keys = {_cosigner(m["cosigner"], m["name"], ""): m["name"] for m in members}
    signed = set()
    for did_url in [ctx.actor, *ctx.endorsers]:
        try:
            key = public_key_from_did(did_url)
        except DidError:
            continue
        if key in keys:
            signed.add(keys[key])
    return signed


def _change(ctx: EntryContext, members: list[dict[str, str]], quorum: int) -> None:
    """Require a quorum of the current members' signatures, then record the new membership."""
    state = current(ctx)
    signed = _signing_members(ctx, state["members"])
    if len(signed) < state["quorum"]:
        raise Rejection("missing-endorsement", f"a change of the network needs {state['quorum']}"
                        f" members' signatures; it has {len(signed)} "
                        f"({', '.join(sorted(signed)) or 'none'})", "/endorsements", status=403)
    _check_quorum(quorum, members, "/body")
    history = [*state["history"], {k: state[k] for k in ("members", "quorum", "since")}]
    ctx.put(MEMBERS_RECORD, {"members": members, "quorum": quorum, "since": ctx.index + 1,
                             "history": history})


def genesis(ctx: EntryContext, body: dict[str, Any]) -> None:
    ctx.require_genesis()
    if ctx.get(MEMBERS_RECORD) is not None:
        raise Rejection("already-exists", "the network already has its founding members",
                        "/type", status=409)
    members = _checked_members(body["members"], "/body/members")
    _check_quorum(body["quorum"], members, "/body/quorum")
    ctx.put(MEMBERS_RECORD, {"members": members, "quorum": body["quorum"],
                             "since": ctx.index + 1, "history": []})


def admit(ctx: EntryContext, body: dict[str, Any]) -> None:
    state = current(ctx)
    if any(m["name"] == body["name"] for m in state["members"]):
        raise Rejection("already-exists", f"{body['name']} is already a member",
                        "/body/name", status=409)
    new = _checked_members([*state["members"], {"name": body["name"],
                                                "cosigner": body["cosigner"]}], "/body")
    _change(ctx, new, body.get("quorum", state["quorum"]))


def remove(ctx: EntryContext, body: dict[str, Any]) -> None:
    state = current(ctx)
    if not any(m["name"] == body["name"] for m in state["members"]):
        raise Rejection("not-found", f"{body['name']} is not a member", "/body/name",
                        status=422)
    rest = [m for m in state["members"] if m["name"] != body["name"]]
    if not rest:
        raise Rejection("invalid-transition", "the last member cannot be removed",
                        "/body/name", status=409)
    _change(ctx, rest, body.get("quorum", min(state["quorum"], len(rest))))


def set_quorum(ctx: EntryContext, body: dict[str, Any]) -> None:
    state = current(ctx)
    _change(ctx, state["members"], body["quorum"])


def rotate(ctx: EntryContext, body: dict[str, Any]) -> None:
    state = current(ctx)
    if not any(m["name"] == body["name"] for m in state["members"]):
        raise Rejection("not-found", f"{body['name']} is not a member", "/body/name",
                        status=422)
    _cosigner(body["cosigner"], body["name"], "/body/cosigner")
    new = [{"name": m["name"], "cosigner": body["cosigner"]} if m["name"] == body["name"]
           else m for m in state["members"]]
    _change(ctx, new, state["quorum"])


_MEMBER_EXAMPLE = {"name": "office-e",
                   "cosigner": "office-e+fe97a661+BDtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"}
_OPTIONAL_QUORUM = Field(int, required=False)

RULES = {
    "network.genesis": Rule(
        {"members": Field(list), "quorum": _QUORUM}, genesis,
        "Found a shared ledger's network: its member offices and quorum (genesis key, once).",
        {"members": [_MEMBER_EXAMPLE], "quorum": 1}),
    "network.admit": Rule(
        {"name": _NAME, "cosigner": Field(str), "quorum": _OPTIONAL_QUORUM}, admit,
        "Admit an office to the network (a quorum of members sign).", _MEMBER_EXAMPLE),
    "network.remove": Rule(
        {"name": _NAME, "quorum": _OPTIONAL_QUORUM}, remove,
        "Remove an office from the network (a quorum of members sign).", {"name": "office-e"}),
    "network.quorum": Rule(
        {"quorum": _QUORUM}, set_quorum,
        "Change how many cosignatures make a checkpoint final (a quorum of members sign).",
        {"quorum": 3}),
    "network.rotate": Rule(
        {"name": _NAME, "cosigner": Field(str)}, rotate,
        "Replace a member's cosigner key (a quorum of members sign).", _MEMBER_EXAMPLE),
}

SYSTEM_RULES: dict[str, Rule] = {}
