"""``ipledger witness …``: which logs this node witnesses, and which witnesses cosign its own.

Works on a stopped or a running node: the witness and its client read this
configuration from the store on every request and every push.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ipledger.identity import CosignatureVerifier, NoteError, NoteVerifier
from ipledger.node import NodeConfig, NodeError
from ipledger.storage.witness import WitnessStore


def _read_key(value: str) -> str:
    """A vkey given inline or as a file holding it."""
    path = Path(value)
    return path.read_text().strip() if path.is_file() else value.strip()


@contextmanager
def _witness_store(data: str) -> Iterator[WitnessStore]:
    store = NodeConfig.load(Path(data)).open_store()
    try:
        yield WitnessStore(store)
    finally:
        store.close()


def cmd_add_log(args: argparse.Namespace) -> int:
    vkeys = []
    for value in args.vkey:
        try:
            verifier = NoteVerifier.from_vkey(_read_key(value))
        except NoteError as exc:
            raise NodeError(f"--vkey {value}: {exc}") from None
        vkeys.append(verifier.verifier_key())
    with _witness_store(args.data) as store:
        store.add_log(args.origin, vkeys)
    print(f"witnessing {args.origin} ({len(vkeys)} key{'s' if len(vkeys) > 1 else ''})")
    return 0


def cmd_remove_log(args: argparse.Namespace) -> int:
    with _witness_store(args.data) as store:
        if not store.remove_log(args.origin):
            raise NodeError(f"this node does not witness {args.origin!r}")
    print(f"no longer witnessing {args.origin}")
    return 0


def cmd_add_witness(args: argparse.Namespace) -> int:
    if not args.url.startswith(("http://", "https://")):
        raise NodeError("--url must be the witness's http(s):// submission prefix")
    try:
        vkey = CosignatureVerifier.from_vkey(_read_key(args.vkey)).verifier_key()
    except NoteError as exc:
        raise NodeError(f"--vkey {args.vkey}: {exc}") from None
    with _witness_store(args.data) as store:
        store.add_target(args.url.rstrip("/"), vkey)
    print(f"checkpoints will be sent to {args.url} for cosigning")
    return 0


def cmd_remove_witness(args: argparse.Namespace) -> int:
    with _witness_store(args.data) as store:
        if not store.remove_target(args.url.rstrip("/")):
            raise NodeError(f"{args.url} is not one of this node's witnesses")
    print(f"no longer asking {args.url}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ipledger.network.witnessing import WITNESS_VKEY_FILE

    vkey_file = Path(args.data) / WITNESS_VKEY_FILE
    with _witness_store(args.data) as store:
        listing: dict[str, Any] = {
            "witness_vkey": vkey_file.read_text().strip() if vkey_file.exists() else None,
            "witnessed_logs": [{"origin": log.origin, "vkeys": list(log.vkeys),
                                "cosigned_size": log.size} for log in store.logs()],
            "witnesses": [{"url": t.url, "vkey": t.vkey, "cosigned_size": t.size}
                          for t in store.targets()],
            "evidence": store.evidence_count(),
        }
    print(json.dumps(listing, indent=2))
    return 0


def add_witness_commands(sub: Any) -> None:
    """Register ``ipledger witness …`` on the main parser's subcommands."""
    p = sub.add_parser("witness", help="witnessing: logs this node witnesses, witnesses of "
                       "its own log (docs/witnessing.md)")
    witness_sub = p.add_subparsers(dest="witness_command", required=True)

    p = witness_sub.add_parser("add-log", help="witness another office's log")
    p.add_argument("--data", required=True)
    p.add_argument("--origin", required=True, help="the log's origin (checkpoint first line)")
    p.add_argument("--vkey", required=True, action="append",
                   help="the log's verifier key, or a file holding it (repeatable)")
    p.set_defaults(func=cmd_add_log)

    p = witness_sub.add_parser("remove-log", help="stop witnessing a log")
    p.add_argument("--data", required=True)
    p.add_argument("--origin", required=True)
    p.set_defaults(func=cmd_remove_log)

    p = witness_sub.add_parser("add-witness", help="ask a witness to cosign this node's log")
    p.add_argument("--data", required=True)
    p.add_argument("--url", required=True,
                   help="the witness's submission prefix, e.g. http://host:8000/witness")
    p.add_argument("--vkey", required=True,
                   help="the witness's cosigner key (its witness.vkey), or a file holding it")
    p.set_defaults(func=cmd_add_witness)

    p = witness_sub.add_parser("remove-witness", help="stop asking a witness")
    p.add_argument("--data", required=True)
    p.add_argument("--url", required=True)
    p.set_defaults(func=cmd_remove_witness)

    p = witness_sub.add_parser("list", help="this node's witness key, witnessed logs, "
                               "witnesses and evidence count (JSON)")
    p.add_argument("--data", required=True)
    p.set_defaults(func=cmd_list)
