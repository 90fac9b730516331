"""``ipledger gazette list|show|get|publish-batch`` (docs/gazette.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

_SUFFIX = {"json": ".json", "pdf": ".pdf", "xml": ".xml"}
_MAGIC = {"json": b"{", "pdf": b"%PDF-", "xml": b"<?xml"}


def _fail(message: str, code: int = 1) -> int:
    print(f"ipledger: {message}", file=sys.stderr)
    return code


def _get(args: argparse.Namespace, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET ``path`` on the node: the response, or an error message (str)."""
    import httpx

    from ipledger.services.document_client import problem_text

    try:
        resp = httpx.get(args.node.rstrip("/") + path, params=params, timeout=args.timeout)
    except httpx.HTTPError as exc:
        return f"cannot reach {args.node}: {exc}"
    if resp.status_code != 200:
        return problem_text(resp)
    return resp


def cmd_gazette_list(args: argparse.Namespace) -> int:
    """The node's gazette issues, newest first."""
    params: dict[str, Any] = {"limit": args.limit}
    if args.office:
        params["office"] = args.office
    resp = _get(args, "/v1/gazette", params)
    if isinstance(resp, str):
        return _fail(f"cannot list gazette issues: {resp}")
    for issue in resp.json()["issues"]:
        period = issue["period"]
        print(f"{issue['issue']}\t{period['start']} to {period['end']}")
    return 0


def cmd_gazette_show(args: argparse.Namespace) -> int:
    """One issue's items, as text."""
    from ipledger.services.gazette import SECTION_TITLES, SECTIONS
    from ipledger.services.gazette_formats import issue_title, item_text

    resp = _get(args, "/v1/gazette/" + quote(args.issue, safe=""))
    if isinstance(resp, str):
        return _fail(f"no gazette issue {args.issue}: {resp}")
    issue = resp.json()
    cp = issue["checkpoint"]
    print(issue_title(issue))
    print(f"period {issue['period']['start']} to {issue['period']['end']}; checkpoint "
          f"{cp['size']} of {cp['origin']}, root hash {cp['root_hash']}")
    for section in SECTIONS:
        items = [i for i in issue["items"] if i["section"] == section]
        print(f"\n{SECTION_TITLES[section]} ({len(items)})")
        for item in items:
            print("\n".join(f"  {line}" for line in item_text(item)))
    return 0


def cmd_gazette_get(args: argparse.Namespace) -> int:
    """Download an issue as PDF, ST.96 XML or JSON to ``-o``."""
    suffix = _SUFFIX[args.format]
    resp = _get(args, "/v1/gazette/" + quote(args.issue, safe="") + suffix)
    if isinstance(resp, str):
        return _fail(f"no {args.format} of gazette issue {args.issue}: {resp}")
    if not resp.content.startswith(_MAGIC[args.format]):
        return _fail(f"the node did not answer with {args.format}")
    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(resp.content)
    os.replace(partial, out)
    print(f"OK {out}: gazette {args.issue} ({args.format}), {len(resp.content)} bytes",
          file=sys.stderr)
    return 0


def cmd_gazette_verify(args: argparse.Namespace) -> int:
    """Check an issue with the log's key: its checkpoint, its period's bounds in the log,
    every item against its right's proven extract (services/gazette_check.py)."""
    import httpx

    from ipledger.cli import _load_vkey
    from ipledger.codec import parse_json
    from ipledger.services.document_client import problem_text
    from ipledger.services.gazette_check import GazetteCheckError, check_issue, issue_of_pdf

    base = args.node.rstrip("/")
    client = httpx.Client(timeout=args.timeout)

    def fetch(path: str) -> dict[str, Any]:
        try:
            resp = client.get(base + path)
        except httpx.HTTPError as exc:
            raise GazetteCheckError("fetch", f"cannot reach {args.node}: {exc}") from None
        if resp.status_code != 200:
            raise GazetteCheckError("fetch", f"{path}: {problem_text(resp)}")
        doc: dict[str, Any] = resp.json()
        return doc

    try:
        verifier = _load_vkey(args.vkey)
        if Path(args.issue).is_file():  # a downloaded issue: PDF or JSON
            data = Path(args.issue).read_bytes()
            issue = issue_of_pdf(data) if data.startswith(b"%PDF-") else dict(parse_json(data))
        else:
            issue = fetch("/v1/gazette/" + quote(args.issue, safe=""))
        checked = check_issue(issue, fetch, [verifier])
    except (OSError, ValueError, KeyError, TypeError) as exc:  # malformed input: not an issue
        step = exc.step if isinstance(exc, GazetteCheckError) else "input"
        print(f"FAILED {args.issue}: {step}: {getattr(exc, 'detail', exc)}")
        return 1
    finally:
        client.close()
    cp = checked.checkpoint
    print(f"OK {checked.issue}: {checked.items} items, each proven by its register extract "
          f"as of the checkpoint of size {cp.tree_size} of {cp.origin}; the period's bounds "
          f"in the log proven by {checked.receipts} entry receipts")
    return 0


def cmd_gazette_publish_batch(args: argparse.Namespace) -> int:
    """Publish every disclosed application ready for publication, one signed entry each."""
    import httpx

    from ipledger.identity import KeyFileError, read_private_key
    from ipledger.services.document_client import problem_text
    from ipledger.services.entry_client import submit_entry

    resp = _get(args, "/v1/gazette/ready", {"office": args.office})
    if isinstance(resp, str):
        return _fail(f"cannot list applications ready for publication: {resp}")
    ready = [r for r in resp.json()["ready"] if not args.kind or r["kind"] == args.kind]
    attest = sorted(set(args.attest))
    try:
        key = read_private_key(Path(args.key))
    except (OSError, KeyFileError) as exc:
        return _fail(f"cannot read --key: {exc}", 2)
    failures = published = 0
    base = args.node.rstrip("/")
    with httpx.Client(timeout=args.timeout) as client:
        for right in ready:
            name = f"{right['office']}/{right['kind']}/{right['number']}"
            missing = [n for n in right["needs"] if not n.startswith("fee_paid:")
                       and n not in attest]
            if missing or any(n.startswith("fee_paid:") for n in right["needs"]):
                why = ", ".join(missing) or "a publication fee paid in the entry"
                print(f"SKIPPED {name}: publishing needs {why} (attest with --attest)")
                continue
            if args.dry_run:
                print(f"WOULD PUBLISH {name} ({right['title']})")
                continue
            body: dict[str, Any] = {"office": right["office"], "kind": right["kind"],
                                    "number": right["number"], "action": "publish"}
            needed = [a for a in attest if a in right["needs"]]
            if needed:
                body["attest"] = needed
            answer = submit_entry(client, base, key, "right.act", body)
            if answer.status_code == 201:
                published += 1
                print(f"PUBLISHED {name} as entry {answer.json()['index']}")
            else:
                failures += 1
                print(f"REFUSED {name}: {problem_text(answer)}")
    print(f"{published} published, {failures} refused, {len(ready)} ready", file=sys.stderr)
    return 1 if failures else 0


def add_gazette_commands(sub: Any) -> None:
    p = sub.add_parser("gazette", help="the office gazette: issues per period of ledger time "
                       "(docs/gazette.md)")
    gazette_sub = p.add_subparsers(dest="gazette_command", required=True)

    def node_args(q: argparse.ArgumentParser) -> None:
        q.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
        q.add_argument("--timeout", type=float, default=60.0, help="seconds per request")

    q = gazette_sub.add_parser("list", help="list the gazette's issues, newest first")
    q.add_argument("--office", help="only this office (ST.3 code, e.g. EM)")
    q.add_argument("--limit", type=int, default=52, help="at most this many issues")
    node_args(q)
    q.set_defaults(func=cmd_gazette_list)

    q = gazette_sub.add_parser("show", help="print one issue's items")
    q.add_argument("issue", metavar="ISSUE", help="e.g. EM-2026-W39")
    node_args(q)
    q.set_defaults(func=cmd_gazette_show)

    q = gazette_sub.add_parser("get", help="download one issue as PDF, ST.96 XML or JSON")
    q.add_argument("issue", metavar="ISSUE", help="e.g. EM-2026-W39")
    q.add_argument("--format", choices=sorted(_SUFFIX), default="pdf",
                   help="pdf (default), xml (ST.96 TrademarkBag) or json")
    q.add_argument("-o", "--out", required=True, metavar="FILE", help="where to write it")
    node_args(q)
    q.set_defaults(func=cmd_gazette_get)

    q = gazette_sub.add_parser("verify", help="check an issue with the log's key: its "
                               "checkpoint, its period in the log, every item against its "
                               "right's proven extract")
    q.add_argument("issue", metavar="ISSUE|FILE", help="e.g. EM-2026-W39, or a downloaded "
                   "issue (PDF or JSON), checked as it is")
    q.add_argument("--vkey", required=True, help="the log's verifier key (file or text)")
    node_args(q)
    q.set_defaults(func=cmd_gazette_verify)

    q = gazette_sub.add_parser(
        "publish-batch", help="staff: publish every disclosed application ready for "
        "publication (one signed right.act publish entry each), so the next issue lists them")
    q.add_argument("--office", required=True, help="ST.3 code of the office, e.g. EM")
    q.add_argument("--kind", help="only rights of this kind (e.g. trademark)")
    q.add_argument("--key", required=True, help="a registrar's key file (signs the entries)")
    q.add_argument("--attest", action="append", default=[], metavar="FACT",
                   help="a fact the registrar attests for every application of the batch, "
                   "e.g. examination_passed (repeat for more)")
    q.add_argument("--dry-run", action="store_true", help="list what would be published")
    node_args(q)
    q.set_defaults(func=cmd_gazette_publish_batch)
