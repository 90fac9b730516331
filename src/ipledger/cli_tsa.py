"""``ipledger tsa …``: the node's RFC 3161 time-stamping authority (docs/tsa.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ipledger.node import NodeConfig
from ipledger.services.tsa_ca import TsaSetupError, import_tsa


def cmd_import(args: argparse.Namespace) -> int:
    data = Path(args.data)
    NodeConfig.load(data)  # a node directory, or a NodeError naming the fix
    try:
        cert = import_tsa(data, Path(args.cert), Path(args.key))
    except TsaSetupError as exc:
        print(f"ipledger: {exc}", file=sys.stderr)
        return 1
    print(f"TSA certificate {cert.subject.rfc4514_string()} (serial {cert.serial_number:x}) "
          f"installed in {data}; restart the node to sign with it")
    return 0


def add_tsa_commands(sub: Any) -> None:
    p = sub.add_parser("tsa", help="the node's RFC 3161 time-stamping authority")
    tsa_sub = p.add_subparsers(dest="tsa_command", required=True)
    p = tsa_sub.add_parser(
        "import", help="use the office's own CA: a TSA certificate (critical EKU "
        "timeStamping) and its ECDSA P-256 key instead of the chain made at init")
    p.add_argument("--data", required=True, help="the node's data directory")
    p.add_argument("--cert", required=True, metavar="CHAIN.pem",
                   help="the TSA certificate and its issuing CA certificates, PEM")
    p.add_argument("--key", required=True, metavar="KEY.pem",
                   help="the TSA certificate's private key, unencrypted PKCS#8 or SEC1 PEM")
    p.set_defaults(func=cmd_import)
