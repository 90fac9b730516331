"""``ipledger certificate get`` and ``ipledger verify certificate`` (docs/certificates.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote


def _fail(message: str, code: int = 1) -> int:
    print(f"ipledger: {message}", file=sys.stderr)
    return code


def cmd_certificate_get(args: argparse.Namespace) -> int:
    """Download a right's certificate; written to ``-o`` only if it is a PDF."""
    import httpx

    from ipledger.services.document_client import problem_text

    parts = args.right.split("/")
    if len(parts) != 3 or not all(parts):
        return _fail("name the right as OFFICE/KIND/NUMBER, e.g. EM/trademark/000000001", 2)
    url = args.node.rstrip("/") + "/v1/rights/" + "/".join(quote(p, safe="") for p in parts) \
        + "/certificate.pdf"
    params: dict[str, Any] = {}
    if args.size is not None:
        params["size"] = args.size
    if args.at is not None:
        params["at"] = args.at
    try:
        resp = httpx.get(url, params=params, timeout=args.timeout)
    except httpx.HTTPError as exc:
        return _fail(f"cannot reach {args.node}: {exc}")
    if resp.status_code != 200:
        return _fail(f"no certificate for {args.right}: {problem_text(resp)}")
    if not resp.content.startswith(b"%PDF-"):
        return _fail(f"{url} did not answer with a PDF")
    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(resp.content)
    os.replace(partial, out)
    print(f"OK {out}: certificate of {args.right}, {len(resp.content)} bytes; check it with: "
          f"ipledger verify certificate {out} --vkey LOG.vkey", file=sys.stderr)
    return 0


def cmd_verify_certificate(args: argparse.Namespace) -> int:
    """A certificate, offline: its embedded extracts verified, its pages re-derived."""
    from ipledger.cli import _load_vkey
    from ipledger.services.certificate import CertificateError, verify_certificate

    try:
        verified = verify_certificate(Path(args.file).read_bytes(), [_load_vkey(args.vkey)])
    except (OSError, ValueError) as exc:
        step = exc.step if isinstance(exc, CertificateError) else "input"
        print(f"FAILED {args.file}: {step}: {getattr(exc, 'detail', exc)}")
        return 1
    right, cp = verified.right, verified.checkpoint
    owners = ", ".join(o["party"] for o in right["owners"])
    print(f"OK {args.file}: {right['office']}/{right['kind']}/{right['number']} is "
          f"{right['state']} (owners {owners}) as of the checkpoint of size {cp.tree_size} of "
          f"{cp.origin} (ledger time {verified.ledger_time}); every fact shown is proven by "
          f"the embedded extracts; QR code and link: {verified.link}")
    return 0


def add_certificate_commands(sub: Any) -> None:
    p = sub.add_parser("certificate", help="registration certificates (PDF with embedded "
                       "proof; docs/certificates.md)")
    cert_sub = p.add_subparsers(dest="certificate_command", required=True)
    p = cert_sub.add_parser("get", help="download a right's registration certificate (PDF); "
                            "check it with 'ipledger verify certificate FILE --vkey VKEY'")
    p.add_argument("right", metavar="OFFICE/KIND/NUMBER", help="e.g. EM/trademark/000000001")
    p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="where to write the PDF")
    as_of = p.add_mutually_exclusive_group()
    as_of.add_argument("--size", type=int, help="as of the checkpoint of this tree size")
    as_of.add_argument("--at", metavar="TIME", help="as of this RFC 3339 time")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for the request")
    p.set_defaults(func=cmd_certificate_get)
