"""``ipledger credential get`` and ``ipledger credential verify`` (docs/credentials.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

DID_SUFFIX = ".did.json"
STATUS_SUFFIX = ".status-list.json"


def _fail(message: str, code: int = 1) -> int:
    print(f"ipledger: {message}", file=sys.stderr)
    return code


def _write(path: Path, doc: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(partial, path)


def cmd_credential_get(args: argparse.Namespace) -> int:
    """Download a credential, its status list and the issuer's DID document."""
    import httpx

    from ipledger.services.document_client import problem_text

    parts = args.right.split("/")
    if len(parts) != 3 or not all(parts):
        return _fail("name the right as OFFICE/KIND/NUMBER, e.g. EM/trademark/000000001", 2)
    base = args.node.rstrip("/")
    right_url = base + "/v1/rights/" + "/".join(quote(p, safe="") for p in parts)
    if args.licence:
        url = f"{right_url}/licences/{quote(args.licence, safe='')}/credential"
    elif args.assignment is not None:
        url = f"{right_url}/assignments/{args.assignment}/credential"
    else:
        url = f"{right_url}/credential"
    params = {k: v for k, v in (("size", args.size), ("at", args.at)) if v is not None}
    out = Path(args.out)
    try:
        with httpx.Client(timeout=args.timeout) as client:
            fetched: dict[str, Any] = {}
            for name, target, query in (("credential", url, params),
                                        ("status list", f"{right_url}/status-list", params),
                                        ("DID document", base + "/.well-known/did.json", {})):
                resp = client.get(target, params=query)
                if resp.status_code != 200:
                    return _fail(f"no {name} for {args.right}: {problem_text(resp)}")
                fetched[name] = resp.json()
    except httpx.HTTPError as exc:
        return _fail(f"cannot reach {args.node}: {exc}")
    except ValueError:
        return _fail(f"{args.node} did not answer with JSON")
    _write(out, fetched["credential"])
    _write(Path(str(out) + STATUS_SUFFIX), fetched["status list"])
    _write(Path(str(out) + DID_SUFFIX), fetched["DID document"])
    print(f"OK {out} (with {out.name}{STATUS_SUFFIX} and {out.name}{DID_SUFFIX}); check it "
          f"offline with: ipledger credential verify {out}", file=sys.stderr)
    issuer = fetched["credential"].get("issuer")
    if isinstance(issuer, str) and _did_web_host(issuer) != urlsplit(base).netloc:
        print(f"note: the issuer is {issuer}; the DID document was read from {base}, its "
              f"authoritative copy is https://{_did_web_host(issuer)}/.well-known/did.json",
              file=sys.stderr)
    return 0


def _did_web_host(did: str) -> str:
    return did.removeprefix("did:web:").split(":", 1)[0].replace("%3A", ":")


def _load(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the {what} {path}: {exc}") from None


def cmd_credential_verify(args: argparse.Namespace) -> int:
    """Verify a credential offline: proof, issuer's key, revocation status."""
    from ipledger.credentials.eddsa_rdfc_2022 import ProofError
    from ipledger.credentials.verify import verify_credential
    from ipledger.ledger import parse_rfc3339_ms

    did_path = args.did_document or args.file + DID_SUFFIX
    status_path = args.status_list or args.file + STATUS_SUFFIX
    try:
        credential = _load(args.file, "credential")
        did_document = _load(did_path, "DID document")
        status_list = (_load(status_path, "status list")
                       if args.status_list or Path(status_path).exists() else None)
        now_ms = None if args.at is None else parse_rfc3339_ms(args.at)
        verified = verify_credential(credential, did_document, status_list, now_ms=now_ms)
    except ValueError as exc:
        step = exc.step if isinstance(exc, ProofError) else "input"
        print(f"FAILED {args.file}: {step}: {getattr(exc, 'detail', exc)}")
        return 1
    kind = next((t for t in verified.types if t != "VerifiableCredential"), "credential")
    print(f"OK {args.file}: {kind} {verified.credential_id} issued by {verified.issuer}, "
          f"proof eddsa-rdfc-2022 by {verified.verification_method}; status: "
          f"{verified.status}")
    return 2 if verified.status == "revoked" else 0


def add_credential_commands(sub: Any) -> None:
    p = sub.add_parser("credential", help="W3C Verifiable Credentials of the register "
                       "(docs/credentials.md)")
    cred_sub = p.add_subparsers(dest="credential_command", required=True)
    p = cred_sub.add_parser(
        "get", help="download a right's registration certificate, a licence or an "
        "assignment as a Verifiable Credential, with its status list (FILE.status-list.json) "
        "and the issuer's DID document (FILE.did.json)")
    p.add_argument("right", metavar="OFFICE/KIND/NUMBER", help="e.g. EM/trademark/000000001")
    p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="where to write it")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--licence", metavar="ID", help="the licence credential, e.g. L1")
    which.add_argument("--assignment", type=int, metavar="INDEX",
                       help="the assignment recorded by this entry index")
    as_of = p.add_mutually_exclusive_group()
    as_of.add_argument("--size", type=int, help="as of the checkpoint of this tree size")
    as_of.add_argument("--at", metavar="TIME", help="as of this RFC 3339 time")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.set_defaults(func=cmd_credential_get)
    p = cred_sub.add_parser(
        "verify", help="verify a credential offline (bundled contexts only): its "
        "eddsa-rdfc-2022 proof against the issuer's DID document, and its status bit; exit "
        "0 valid and active, 1 refused, 2 valid but revoked")
    p.add_argument("file", metavar="FILE", help="the credential (JSON)")
    p.add_argument("--did-document", metavar="FILE",
                   help="the issuer's DID document (default: FILE.did.json)")
    p.add_argument("--status-list", metavar="FILE", help="the status list credential "
                   "(default: FILE.status-list.json if present; otherwise status is not "
                   "checked)")
    p.add_argument("--at", metavar="TIME", help="judge validFrom/validUntil at this RFC 3339 "
                   "UTC time (default: now)")
    p.set_defaults(func=cmd_credential_verify)
