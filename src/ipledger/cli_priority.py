"""``ipledger priority …``: priority documents between offices (docs/priority-documents.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ipledger.identity import KeyFileError, read_private_key
from ipledger.services.priority_client import (
    PriorityClientError,
    authorize,
    deposit,
    retrieve,
)


def cmd_deposit(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"ipledger: not a file: {path}", file=sys.stderr)
        return 2
    code, index = deposit(args.node, path, read_private_key(Path(args.key)), args.office,
                          args.number, args.applicant, args.filing_date, args.media_type,
                          args.kind)
    print(f"deposited {args.office} {args.number} as entry {index}; the applicant's access "
          "code follows (shown once, never stored: hand it to the applicant)", file=sys.stderr)
    print(code)
    return 0


def cmd_authorize(args: argparse.Namespace) -> int:
    index = authorize(args.node, read_private_key(Path(args.key)), args.office, args.number,
                      args.to)
    print(f"OK {', '.join(args.to)} may retrieve {args.office} {args.number} (entry {index})")
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    size = retrieve(args.node, read_private_key(Path(args.key)), args.office, args.number,
                    args.accessing_office, args.code, Path(args.out))
    print(f"OK {args.out}: {size} bytes, SHA-256 verified against the deposit of "
          f"{args.office} {args.number}")
    return 0


def _run(command: Any) -> Any:
    """A command whose client errors become ``ipledger: …`` and exit status 1."""
    def run(args: argparse.Namespace) -> int:
        from ipledger.cli import _fail

        try:
            return int(command(args))
        except (PriorityClientError, KeyFileError) as exc:
            return _fail(str(exc))
    return run


def add_priority_commands(sub: Any) -> None:
    p = sub.add_parser("priority", help="priority documents between offices (WIPO DAS "
                       "model, docs/priority-documents.md)")
    prio = p.add_subparsers(dest="priority_command", required=True)

    def deposit_id(p: argparse.ArgumentParser, office_help: str) -> None:
        p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
        p.add_argument("--office", required=True, help=office_help)
        p.add_argument("--number", required=True, help="the application number")

    p = prio.add_parser("deposit", help="store a priority document and deposit it; prints "
                        "the applicant's access code once")
    p.add_argument("file", metavar="FILE")
    deposit_id(p, "the depositing office (ST.3)")
    p.add_argument("--key", required=True, help="a registrar of the depositing office")
    p.add_argument("--applicant", action="append", required=True, metavar="PARTY_ID",
                   help="an applicant's party id (repeatable)")
    p.add_argument("--filing-date", required=True, metavar="YYYY-MM-DD",
                   help="the application's filing date (priority claims are checked "
                   "against it)")
    p.add_argument("--kind", choices=("patent", "utility_model", "industrial_design",
                                      "trademark"), help="the application's kind")
    p.add_argument("--media-type", help="the document's media type (default: guessed)")
    p.set_defaults(func=_run(cmd_deposit))

    p = prio.add_parser("authorize", help="let accessing offices retrieve a deposit "
                        "(an applicant; also unlocks it)")
    deposit_id(p, "the depositing office (ST.3)")
    p.add_argument("--key", required=True, help="an applicant of the deposit")
    p.add_argument("--to", action="append", required=True, metavar="OFFICE",
                   help="an accessing office (ST.3; repeatable)")
    p.set_defaults(func=_run(cmd_authorize))

    p = prio.add_parser("retrieve", help="retrieve a deposit with the access code (a "
                        "registrar of an authorized office); every attempt is an entry")
    deposit_id(p, "the depositing office (ST.3)")
    p.add_argument("--key", required=True, help="a registrar of the accessing office")
    p.add_argument("--accessing-office", required=True, metavar="OFFICE",
                   help="the office the key's registrar retrieves for (ST.3)")
    p.add_argument("--code", required=True, help="the access code the applicant gave")
    p.add_argument("--out", required=True, help="write the verified document here")
    p.set_defaults(func=_run(cmd_retrieve))
