"""``ipledger authenticity …``: product batches, distributors, customs inspections,
verification (docs/authenticity.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ipledger.codec import parse_json
from ipledger.identity import KeyFileError, read_private_key
from ipledger.registry.families.authenticity import OUTCOMES
from ipledger.services import authenticity_client as client_lib
from ipledger.services.authenticity import ProofError, check_offline
from ipledger.services.authenticity_client import QR_FORMATS, AuthenticityClientError


def cmd_batch(args: argparse.Namespace) -> int:
    serials = client_lib.read_serials(Path(args.serials))
    key = read_private_key(Path(args.key))
    with client_lib.http_client(args.node) as client:
        result = client_lib.register_batch(
            client, args.node, key, args.office, args.number, args.product, serials,
            Path(args.out), qr=args.qr, base_url=args.base_url)
    print(f"OK batch {result.batch}: {result.count} items under {args.office} {args.number} "
          f"(entry {result.index}); labels in {result.labels}")
    return 0


def _distributor(value: str) -> tuple[str, list[str]]:
    party, sep, territory = value.partition(":")
    if not sep or not territory:
        raise argparse.ArgumentTypeError("give PARTY_ID:CC[,CC...], e.g. P0123…:DE,AT")
    return party, territory.split(",")


def cmd_distributors(args: argparse.Namespace) -> int:
    key = read_private_key(Path(args.key))
    with client_lib.http_client(args.node) as client:
        index = client_lib.set_distributors(client, args.node, key, args.office, args.number,
                                            args.distributor or [])
    print(f"OK {len(args.distributor or [])} authorized distributors of {args.office} "
          f"{args.number} (entry {index})")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    key = read_private_key(Path(args.key))
    with client_lib.http_client(args.node) as client:
        index = client_lib.inspect(client, args.node, key, args.authority, args.url,
                                   args.country, args.point, args.outcome)
    print(f"OK inspection recorded as entry {index}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with client_lib.http_client(args.node or args.url) as client:
        answer = client_lib.verify_url(client, args.url, args.node, args.country, args.point,
                                       proofs=args.save is not None)
        if args.save is not None and answer["batch"] is not None:
            extract, listed = client_lib.save_proof(client, args.url, answer, Path(args.save),
                                                    args.node)
            print(f"saved {extract} and {listed}: check them offline with 'ipledger "
                  f"authenticity check URL --extract {extract} --commitments {listed} "
                  "--vkey VKEY'", file=sys.stderr)
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        mark = answer.get("mark") or {}
        print(f"{answer['verdict'].upper()} {mark.get('office', '')} {mark.get('number', '')} "
              f"{mark.get('title', '')} ({mark.get('status', 'unknown mark')})".rstrip())
        if answer.get("clone_warning"):
            print(f"warning: {answer['clone_warning']}")
    return 0 if answer["verdict"] == "genuine" else 3


def cmd_check(args: argparse.Namespace) -> int:
    from ipledger.cli import _load_vkey

    label = client_lib.label_of(args.url)
    try:
        extract = parse_json(Path(args.extract).read_bytes())
        batch = check_offline(label, extract, Path(args.commitments).read_bytes(),
                              [_load_vkey(args.vkey)])
    except ProofError as exc:
        print(f"FAILED {args.url}: {exc.step}: {exc.detail}")
        return 1
    except ValueError as exc:  # not JSON, not a verifier key
        print(f"FAILED {args.url}: input: {exc}")
        return 1
    print(f"OK genuine: serial {label.serial} of {label.office} {label.number} is in batch "
          f"{batch['batch']} ({batch['product']}, registered by {batch['by']} as "
          f"{batch['as']}, entry {batch['index']}); proven in {batch['origin']} as of the "
          f"checkpoint of size {batch['tree_size']}")
    return 0


def _run(command: Any) -> Any:
    """A command whose client errors become ``ipledger: …`` and exit status 1."""
    def run(args: argparse.Namespace) -> int:
        from ipledger.cli import _fail

        try:
            return int(command(args))
        except (AuthenticityClientError, KeyFileError, OSError) as exc:
            return _fail(str(exc))
    return run


def add_authenticity_commands(sub: Any) -> None:
    p = sub.add_parser("authenticity", help="product authenticity for customs: batches of "
                       "serial commitments, QR labels, inspections (docs/authenticity.md)")
    auth = p.add_subparsers(dest="authenticity_command", required=True)

    def mark(p: argparse.ArgumentParser) -> None:
        p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
        p.add_argument("--office", required=True, help="the trade mark's office (ST.3)")
        p.add_argument("--number", required=True, help="the trade mark's number")

    p = auth.add_parser("batch", help="register a batch of products from a serial list and "
                        "write its labels (CSV of URLs and QR codes)",
                        description="Draws a random salt per serial, uploads the sorted "
                        "commitment list, registers the signed authenticity.batch entry (the "
                        "mark's owner, or a licensee whose licence is in force), then writes "
                        "OUT/labels.csv and OUT/qr/<serial>.svg|png.")
    p.add_argument("serials", metavar="SERIALS", help="a text file, one serial per line "
                   "(1-64 of A-Z a-z 0-9 . _ -)")
    mark(p)
    p.add_argument("--key", required=True, help="the owner's or licensee's key file")
    p.add_argument("--product", required=True, help="what the batch is, e.g. 'cold brew, "
                   "250 ml can'")
    p.add_argument("--out", required=True, help="directory for commitments.txt, labels.csv "
                   "and qr/")
    p.add_argument("--qr", choices=QR_FORMATS, default="svg", help="QR code files (default "
                   "svg)")
    p.add_argument("--base-url", help="where labels point (default: the node's [server] "
                   "public_url)")
    p.set_defaults(func=_run(cmd_batch))

    p = auth.add_parser("distributors", help="name the authorized distributors of a mark "
                        "(an owner; replaces the list)")
    mark(p)
    p.add_argument("--key", required=True, help="an owner's key file")
    p.add_argument("--distributor", action="append", type=_distributor,
                   metavar="PARTY_ID:CC[,CC...]", help="a distributor and its territory "
                   "(ST.3 codes; repeatable; none clears the list)")
    p.set_defaults(func=_run(cmd_distributors))

    p = auth.add_parser("inspect", help="record a customs inspection of an item from its "
                        "label URL (role customs)")
    p.add_argument("url", metavar="LABEL_URL", help="the URL the item's QR code carries")
    p.add_argument("--node", required=True, help="node URL")
    p.add_argument("--key", required=True, help="a customs officer's key file")
    p.add_argument("--authority", required=True, help="the office code under which the "
                   "officer holds the customs role (ST.3)")
    p.add_argument("--country", required=True, help="where the item is (ST.3 country)")
    p.add_argument("--point", required=True, help="the inspection point, e.g. 'Hamburg port'")
    p.add_argument("--outcome", choices=OUTCOMES, default="released",
                   help="what was done (default released)")
    p.set_defaults(func=_run(cmd_inspect))

    p = auth.add_parser("verify", help="ask the node whether an item is genuine (exit 0 "
                        "genuine, 3 unknown or seen elsewhere)")
    p.add_argument("url", metavar="LABEL_URL", help="the URL the item's QR code carries")
    p.add_argument("--node", help="node URL (default: the label URL's own host)")
    p.add_argument("--country", help="where you are (ST.3 country), for the clone check")
    p.add_argument("--point", help="the inspection point or shop")
    p.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    p.add_argument("--save", metavar="DIR", help="for a genuine item, also write "
                   "DIR/extract.json and DIR/commitments.txt, the evidence 'check' verifies "
                   "offline")
    p.set_defaults(func=_run(cmd_verify))

    p = auth.add_parser("check", help="prove an item genuine offline: its batch's register "
                        "extract and commitment list (from 'verify --save'), checked against "
                        "the office's verifier key only (exit 0 proven, 1 not)")
    p.add_argument("url", metavar="LABEL_URL", help="the URL the item's QR code carries")
    p.add_argument("--extract", required=True, help="the batch's extract (extract.json)")
    p.add_argument("--commitments", required=True, help="the batch's commitment list")
    p.add_argument("--vkey", required=True, help="the office's log verifier key (log.vkey, "
                   "or the key text)")
    p.set_defaults(func=_run(cmd_check))
