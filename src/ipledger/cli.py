"""The ``ipledger`` command: init, serve, keygen, stamp, verify, log info, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ipledger.codec import parse_json
from ipledger.config import Config, ConfigError
from ipledger.identity import (
    KeyFileError,
    NoteVerifier,
    SigningKey,
    did_key,
    read_private_key,
    write_private_key,
)
from ipledger.ledger import Ledger, verify_receipt
from ipledger.log import Checkpoint
from ipledger.network.config import NetworkConfigError
from ipledger.node import SQLITE_FILE, NodeConfig, NodeError, init_node, open_ledger
from ipledger.registry.engine import GENESIS_META
from ipledger.services.evidence import STAMP_TYPE, file_sha256
from ipledger.storage.base import StorageError

if TYPE_CHECKING:
    from ipledger.network.witnessing import Witnessing

CONFIG_HOME = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
DEFAULT_KEY = CONFIG_HOME / "ipledger" / "stamper.key"


def _fail(message: str, code: int = 1) -> int:
    print(f"ipledger: {message}", file=sys.stderr)
    return code


def _load_vkey(value: str) -> NoteVerifier:
    path = Path(value)
    text = path.read_text().strip() if path.is_file() else value.strip()
    return NoteVerifier.from_vkey(text)


def _load_or_create_key(path: Path | None) -> SigningKey:
    key_path = path or Path(os.environ.get("IPLEDGER_KEY", DEFAULT_KEY))
    if not key_path.exists():
        if path is not None:
            raise KeyFileError(f"no key file at {key_path}; create one with 'ipledger keygen'")
        key = SigningKey.generate()
        write_private_key(key_path, key)
        print(f"created a signing key at {key_path} ({did_key(key.public_key)})", file=sys.stderr)
        return key
    return read_private_key(key_path)


T = TypeVar("T")


# -- commands ----------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from ipledger.standards.st3 import is_st3_country

    data = Path(args.data)
    if args.office and not args.country and not is_st3_country(args.office):
        return _fail(f"{args.office} is not a country: give the registrar's --country", 2)
    vkey = init_node(data, args.origin, args.store)
    print(f"initialised {args.data} for ledger {args.origin}\nverifier key: {vkey}")
    if args.office:
        from ipledger.services.st96_import import bootstrap_office

        key_path = data / "keys" / "registrar.key"
        registrar = SigningKey.generate()
        write_private_key(key_path, registrar)
        bootstrap_office(data, args.office, args.profile, registrar, country=args.country)
        print(f"office {args.office} ({args.profile} profile) admitted; its registrar's key "
              f"is {key_path} ({did_key(registrar.public_key)})")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    key = SigningKey.generate()
    write_private_key(Path(args.out), key, overwrite=args.force)
    print(did_key(key.public_key))
    return 0


def _serve_config(args: argparse.Namespace) -> Config:
    """serve/demo: DATA/ipledger.toml (or --config FILE), the environment, then the flags."""
    from ipledger.config import load_config

    return load_config(Path(args.data), args.config, flags={
        "server.host": args.host, "server.port": args.port, "server.log_level": args.log_level,
        "server.access_log": args.access_log, "store.url": args.store,
        "server.log_format": args.log_format,
    })


def cmd_serve(args: argparse.Namespace) -> int:
    from ipledger.logs import configure_logging

    settings = _serve_config(args)
    # Before the ledger opens, so its start-up logs come out in the chosen format too.
    configure_logging(settings.server.log_format, settings.server.log_level,
                      settings.server.access_log)
    from ipledger.network.witnessing import open_witnessing

    data = Path(args.data)
    ledger = open_ledger(data, settings=settings)
    try:
        witnessing = open_witnessing(data, ledger)  # docs/witnessing.md
    except BaseException:
        ledger.close()
        raise
    return serve_ledger(ledger, settings, witnessing)


def _serve_mirrors(app: Any, settings: Config) -> Callable[[], None]:
    """Serve and search the node's mirrors, synced every [mirror] sync_interval_s
    (docs/mirroring.md); returns what stops and closes it all."""
    from ipledger.api.search import install
    from ipledger.network.mirror import MirrorSyncer, OpenMirrors

    data = settings.data_dir
    node_store = NodeConfig.load(data, settings).store
    mirrors = OpenMirrors(data, node_store)
    registers = install(app, data, mirrors)
    syncer = MirrorSyncer(data, settings.mirror.sync_interval_s,
                          settings.mirror.fetch_timeout_s, node_store).start()

    def close() -> None:
        syncer.stop()
        registers.close()
        mirrors.close()

    return close


def serve_ledger(ledger: Ledger, settings: Config, witnessing: Witnessing | None = None) -> int:
    """Serve a started ledger (and its witnessing) over HTTP until interrupted, then close."""
    import uvicorn

    from ipledger.api.app import create_app
    from ipledger.api.hardening import AccessConfig

    close_mirrors: Callable[[], None] | None = None
    notifier = None
    try:
        if witnessing is not None:
            witnessing.start()
        app = create_app(ledger, AccessConfig.from_config(settings),  # [limits], [cors]
                         witnessing)
        app.state.config = settings  # the API's settings: [limits], [cors], [documents], ...
        close_mirrors = _serve_mirrors(app, settings)
        from ipledger.web.notifications import start_notifier

        notifier = start_notifier(ledger, settings)  # [notifications]: mail after commits
        server = settings.server
        config = uvicorn.Config(
            app, host=server.host, port=server.port, log_level=server.log_level,
            # Logging is configured above; the access log is ipledger.access (route, duration).
            log_config=None, access_log=False, timeout_graceful_shutdown=5,
            proxy_headers=bool(server.trusted_proxies),
            forwarded_allow_ips=list(server.trusted_proxies) or None,
            server_header=False,  # no "Server: uvicorn" (api/hardening.py: security headers)
        )
        uvicorn.Server(config).run()
    finally:
        if notifier is not None:
            notifier.close()
        if close_mirrors is not None:
            close_mirrors()
        if witnessing is not None:
            witnessing.close()
        ledger.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Initialise (once), build the sample register (once), say what to open, then serve."""
    data = Path(args.data)
    settings = _serve_config(args)
    if not (data / "node.json").exists():
        init_node(data, args.origin, settings.store.url)
    from ipledger.demo import build_if_empty, what_to_open

    built = build_if_empty(data, settings)  # once: later starts find the log non-empty
    if built:
        print(built, file=sys.stderr)
    print(what_to_open(data, settings.server.base_url()), file=sys.stderr)
    print(f"serving at http://{settings.server.host}:{settings.server.port}/", file=sys.stderr)
    return cmd_serve(args)


def cmd_config_show(args: argparse.Namespace) -> int:
    from ipledger.config import load_config

    print(load_config(Path(args.data), args.config).describe(), end="")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from ipledger.doctor import report, run_doctor

    text, status = report(run_doctor(Path(args.data), Path(args.config) if args.config
                                     else None))
    print(text, end="")
    return status


def cmd_stamp(args: argparse.Namespace) -> int:
    from ipledger.services.stamp_client import stamp_files

    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        return _fail(f"not a file: {', '.join(map(str, missing))}", 2)
    if args.rfc3161:  # the TSA signs the entry: no client key needed
        from ipledger.services.stamp_client import stamp_rfc3161

        return 1 if stamp_rfc3161(paths, node=args.node) else 0
    key = _load_or_create_key(Path(args.key) if args.key else None)
    failures = stamp_files(
        paths, node=args.node, key=key, batch_size=args.batch_size,
        media_type=args.media_type, include_name=not args.no_name,
        progress=not args.quiet,
    )
    return 1 if failures else 0


def cmd_submit(args: argparse.Namespace) -> int:
    """Sign any entry type with a key file (and endorsements) and submit it to a node."""
    import httpx

    key = _load_or_create_key(Path(args.key) if args.key else None)
    endorsers = [read_private_key(Path(p)) for p in args.endorse]
    text = Path(args.body[1:]).read_text() if args.body.startswith("@") else args.body
    try:
        body = parse_json(text.encode(), allow_floats=False)
    except ValueError as exc:
        return _fail(f"--body is not valid JSON for an entry body: {exc}", 2)
    from ipledger.services.entry_client import signed_entry, submit_entry

    with httpx.Client(timeout=60) as client:
        if args.out:  # sign only: the envelope is submitted elsewhere (e.g. the filing page)
            envelope = signed_entry(client, args.node.rstrip("/"), key, args.type, body,
                                    endorsers)
            Path(args.out).write_bytes(envelope + b"\n")
            print(f"signed {args.type} written to {args.out} (not submitted)")
            return 0
        resp = submit_entry(client, args.node.rstrip("/"), key, args.type, body, endorsers)
    if resp.status_code != 201:
        problem = resp.json()
        print(f"REFUSED {problem.get('rule')} at {problem.get('pointer', '(entry)')}: "
              f"{problem.get('detail')}")
        return 1
    receipt = resp.json()
    if args.receipt:
        Path(args.receipt).write_text(json.dumps(receipt, indent=2) + "\n")
    print(f"OK {args.type} recorded as entry {receipt['index']} "
          f"(checkpoint size {receipt['tree_size']})")
    return 0


def _checked_offline(label: object, document: Path, vkey: str,
                     verify: Callable[[Any, list[NoteVerifier]], T]) -> T | None:
    """Run an offline check of ``document``; print the failing step and return None on failure."""
    try:
        return verify(parse_json(document.read_bytes()), [_load_vkey(vkey)])
    except (OSError, ValueError) as exc:
        step = getattr(exc, "step", "input")
        print(f"FAILED {label}: {step}: {getattr(exc, 'detail', exc)}")
        return None


def cmd_verify(args: argparse.Namespace) -> int:
    # verify extract|receipt FILE, verify export DIR: what FILE names, and the command.
    from ipledger.cli_certificate import cmd_verify_certificate

    forms: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "extract": ("FILE", cmd_verify_extract), "receipt": ("FILE", cmd_verify_receipt),
        "certificate": ("FILE", cmd_verify_certificate), "export": ("DIR", cmd_verify_export)}
    if args.path in forms:
        what, command = forms[args.path]
        if args.file is None:
            return _fail(f"usage: ipledger verify {args.path} {what} --vkey VKEY", 2)
        return command(args)
    if args.file is not None:
        return _fail("usage: ipledger verify PATH --vkey VKEY | verify extract FILE --vkey VKEY "
                     "| verify receipt FILE --vkey VKEY | verify certificate FILE --vkey VKEY "
                     "| verify export DIR --vkey VKEY", 2)
    path = Path(args.path)
    receipt_path = Path(args.receipt) if args.receipt else Path(f"{path}.receipt.json")
    verified = _checked_offline(path, receipt_path, args.vkey, verify_receipt)
    if verified is None:
        return 1
    entry = verified.entry
    if entry.get("type") != STAMP_TYPE:
        print(f"FAILED {path}: entry-type: the receipt is for a {entry.get('type')} entry")
        return 1
    try:
        actual = file_sha256(path)
    except OSError as exc:
        print(f"FAILED {path}: file: {exc}")
        return 1
    recorded = entry["body"].get("sha256", "no SHA-256")  # an RFC 3161 SHA-512 stamp
    if actual != recorded:
        print(f"FAILED {path}: file-hash: the file's SHA-256 is {actual}, "
              f"the ledger recorded {recorded}")
        return 1
    print(f"OK {path}: SHA-256 {actual} recorded as entry {verified.index} of "
          f"{verified.checkpoint.origin} at ledger time {entry['seq']['time']}, "
          f"signed by {entry['actor'].split('#')[0]}; proven in the checkpoint of size "
          f"{verified.checkpoint.tree_size}")
    return 0


def cmd_verify_export(args: argparse.Namespace) -> int:
    """An export directory, offline: every tile, checkpoint and state root re-derived."""
    from ipledger.ledger.export import ExportedLog
    from ipledger.services.store_admin import prove_store

    export = ExportedLog(Path(args.file))
    if export.get_meta(GENESIS_META) is None:
        return _fail(f"{args.file}/ledger.json names no genesis key: not a register export")
    proof = prove_store(export, str(export.ledger.get("origin", "")), _load_vkey(args.vkey),
                        compare_records=False)
    return 0 if _print_proof(proof, f"the export {args.file}") else 1


def cmd_export(args: argparse.Namespace) -> int:
    from ipledger.ledger.export import export_log

    data = Path(args.data)
    config = NodeConfig.load(data)
    with closing(config.open_store()) as store:
        summary = export_log(store, config.origin, Path(args.out), meta=[GENESIS_META])
    import shutil

    shutil.copy2(data / "log.vkey", Path(args.out) / "log.vkey")
    print(f"exported {summary.tree_size} entries ({summary.bundles} entry bundles, "
          f"{summary.tiles} hash tiles, {summary.checkpoints} checkpoints) into {args.out}; "
          f"check it with: ipledger verify export {args.out} --vkey {args.out}/log.vkey")
    return 0


def cmd_verify_receipt(args: argparse.Namespace) -> int:
    """Any entry's receipt (e.g. from ``submit --receipt``), checked offline."""
    verified = _checked_offline(args.file, Path(args.file), args.vkey, verify_receipt)
    if verified is None:
        return 1
    entry = verified.entry
    print(f"OK {args.file}: {entry['type']} by {str(entry['actor']).split('#')[0]} is entry "
          f"{verified.index} of {verified.checkpoint.origin} at ledger time "
          f"{entry['seq']['time']}; proven in the checkpoint of size "
          f"{verified.checkpoint.tree_size}")
    return 0


def cmd_verify_extract(args: argparse.Namespace) -> int:
    from ipledger.registry.extract import verify_extract

    verified = _checked_offline(args.file, Path(args.file), args.vkey, verify_extract)
    if verified is None:
        return 1
    state = "exists" if verified.record is not None else "does not exist"
    related = len(verified.related)
    print(f"OK {args.file}: {verified.record_id} {state} in {verified.checkpoint.origin} as of "
          f"the checkpoint of size {verified.checkpoint.tree_size}; "
          f"{len(verified.history)} history entries proven"
          + (f"; {related} related record{'s' if related != 1 else ''} proven" if related else ""))
    return 0


def cmd_log_info(args: argparse.Namespace) -> int:
    info: dict[str, Any]
    if args.node:
        import httpx

        resp = httpx.get(args.node.rstrip("/") + "/v1/log", timeout=10)
        resp.raise_for_status()
        info = resp.json()
    else:
        data = Path(args.data)
        config = NodeConfig.load(data)
        with closing(config.open_store()) as store:
            latest = store.latest_checkpoint()
            info = {"origin": config.origin, "entries_stored": store.tree_size(),
                    "verifier_key": (data / "log.vkey").read_text().strip()}
            if latest:
                info["tree_size"] = latest.tree_size
                info["checkpoint"] = latest.note
    if "checkpoint" in info:
        text = info["checkpoint"].split("\n\n")[0] + "\n"
        info["root_hash"] = Checkpoint.parse(text).root_hash.hex()
    print(json.dumps(info, indent=2))
    return 0


def cmd_log_fsck(args: argparse.Namespace) -> int:
    from ipledger.ledger.audit import audit_log

    data = Path(args.data)
    config = NodeConfig.load(data)
    verifier = _load_vkey(str(data / "log.vkey"))
    with closing(config.open_store()) as store:
        report = audit_log(store, config.origin, verifier)
    for problem in report.problems:
        print(f"PROBLEM {problem}")
    verdict = "OK" if report.ok else "FAILED"
    print(f"{verdict}: {report.tree_size} entries, {report.tiles_checked} tiles and "
          f"{report.checkpoints_checked} checkpoints checked against the entries")
    return 0 if report.ok else 1


def cmd_replay(args: argparse.Namespace) -> int:
    from ipledger.registry.engine import replay_register

    config = NodeConfig.load(Path(args.data))
    with closing(config.open_store()) as store:
        report = replay_register(store, config.origin)
        recorded = store.state_root_at(store.tree_size())
    for problem in report.problems:
        print(f"DIFFERENCE {problem}")
    if report.ok and recorded not in (None, report.final_root):
        print("DIFFERENCE the final state root differs from the recorded one")
        return 1
    root = report.final_root.hex() if report.final_root else "-"
    verdict = "OK" if report.ok else "FAILED"
    print(f"{verdict}: replayed {report.entries} entries, {report.roots_compared} state roots "
          f"compared; state root {root}")
    return 0 if report.ok else 1


def cmd_import_st96(args: argparse.Namespace) -> int:
    from ipledger.services.st96_import import import_files, print_report

    key_path = args.key or os.environ.get("IPLEDGER_KEY")
    if not key_path:
        return _fail("a registrar's key is needed: --key KEYFILE (or $IPLEDGER_KEY)", 2)
    key = read_private_key(Path(key_path))
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        return _fail(f"not a file: {', '.join(map(str, missing))}", 2)
    report = import_files(paths, node=args.node, key=key, office=args.office, state=args.state,
                          batch_size=args.batch_size, progress=not args.quiet)
    print_report(report)
    return 0 if report.ok else 1


def cmd_office_bootstrap(args: argparse.Namespace) -> int:
    from ipledger.services.st96_import import bootstrap_office

    done = bootstrap_office(Path(args.data), args.office, args.profile,
                            read_private_key(Path(args.key)), office_name=args.name,
                            registrar_name=args.registrar_name, country=args.country)
    print(f"office {args.office}: {', '.join(done) if done else 'nothing to do'}")
    return 0


def cmd_store_migrate(args: argparse.Namespace) -> int:
    """Copy a (stopped) node's store into an empty one and prove the copy."""
    from ipledger.node import open_store_spec, redact
    from ipledger.services.store_admin import copy_proven, set_store

    data = Path(args.data)
    config = NodeConfig.load(data)
    with closing(config.open_store()) as source, \
            closing(open_store_spec(args.to, data)) as target:
        size = source.tree_size()
        counts, proof = copy_proven(source, target, config.origin,
                                    _load_vkey(str(data / "log.vkey")))
        print("copied " + ", ".join(f"{n} {table}" for table, n in counts.items()))
        if source.tree_size() != size:
            proof.problems.append("the node wrote while copying: stop it, then migrate "
                                  "into an empty store again")
    if not _print_proof(proof, "the copy"):
        print(f"the node still uses {redact(config.store)}")
        return 1
    if args.switch:
        set_store(data, args.to)
        print(f"{data / 'node.json'} now uses {redact(args.to)}")
    return 0


def _print_proof(proof: Any, what: str) -> bool:
    for problem in proof.problems:
        print(f"PROBLEM {problem}")
    if not proof.ok:
        print(f"FAILED: {what} is not faithful")
        return False
    root = proof.state_root.hex() if proof.state_root else "-"
    print(f"OK: {proof.entries} entries and {proof.tiles} tiles re-derived, "
          f"{proof.checkpoints} checkpoints and {proof.state_roots} state roots checked; "
          f"state root {root}")
    return True


def cmd_import_export(args: argparse.Namespace) -> int:
    from ipledger.services.store_admin import import_export

    proof = import_export(Path(args.export), Path(args.data), args.store,
                          Path(args.keys) if args.keys else None)
    return 0 if _print_proof(proof, f"the node rebuilt from {args.export}") else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from ipledger.services.store_admin import backup_node

    counts, proof = backup_node(Path(args.data), Path(args.out))
    print(f"backed up {counts['entries']} entries and {counts['records']} records "
          f"into {args.out}")
    return 0 if _print_proof(proof, "the backup") else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from ipledger.services.store_admin import restore_node

    proof = restore_node(Path(args.backup), Path(args.data), args.store)
    return 0 if _print_proof(proof, "the restored node") else 1


def cmd_mirror_add(args: argparse.Namespace) -> int:
    """Register another office's log to mirror; its checkpoint must verify first."""
    from ipledger.network.mirror import MirrorError, add_mirror

    vkey = Path(args.vkey).read_text() if Path(args.vkey).is_file() else args.vkey
    try:
        spec = add_mirror(Path(args.data), args.url, vkey, genesis=args.genesis,
                          timeout=args.timeout)
    except MirrorError as exc:
        return _fail(f"REFUSED {exc}")
    print(f"mirroring {spec.origin} from {spec.url} as {spec.name} (genesis {spec.genesis}); "
          f"fetch it with: ipledger mirror sync --data {args.data} --origin {spec.origin}")
    return 0


def cmd_mirror_sync(args: argparse.Namespace) -> int:
    """Sync one mirror or all: every fetched byte verified, nothing kept from a failure."""
    from ipledger.network.mirror import MirrorError, find_mirror, list_mirrors, sync_mirror

    data = Path(args.data)
    try:
        names = [find_mirror(data, args.origin).name] if args.origin else \
            [s.name for s in list_mirrors(data)]
    except MirrorError as exc:
        return _fail(str(exc))
    if not names:
        return _fail(f"{data} mirrors nothing yet: ipledger mirror add URL --vkey FILE")
    failed = 0
    for name in names:
        try:
            done = sync_mirror(data, name, timeout=args.timeout)
        except MirrorError as exc:
            print(f"REFUSED {name}: {exc}; the mirror is unchanged")
            failed += 1
            continue
        print(f"OK {done.origin}: {done.tree_size} entries verified ({done.added} new; "
              f"{done.fetched} files fetched)")
    return 1 if failed else 0


def cmd_mirror_list(args: argparse.Namespace) -> int:
    from ipledger.network.mirror import list_mirrors

    specs = list_mirrors(Path(args.data))
    if args.json:
        print(json.dumps([s.public() for s in specs], indent=2))
        return 0
    for spec in specs:
        state = f"error: {spec.last_error}" if spec.last_error else "ok"
        print(f"{spec.origin}\t{spec.tree_size} entries\tlast sync {spec.last_sync or 'never'} "
              f"({state})\t{spec.url}")
    return 0


def cmd_document_put(args: argparse.Namespace) -> int:
    """Upload a file to the node's document store (streamed); print its SHA-256."""
    from ipledger.services.document_client import DocumentClientError, upload_document

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"not a file: {path}", 2)
    try:
        sha256, created = upload_document(args.node, path, read_private_key(Path(args.key)),
                                          args.media_type)
    except DocumentClientError as exc:
        return _fail(str(exc))
    print(sha256)
    if not created:
        print(f"{path}: already stored", file=sys.stderr)
    return 0


def cmd_document_get(args: argparse.Namespace) -> int:
    """Download a document; keep it only if it hashes to its name."""
    from ipledger.documents import is_sha256_hex
    from ipledger.services.document_client import DocumentClientError, download_document

    if not is_sha256_hex(args.sha256):
        return _fail("SHA256 must be 64 lowercase hex digits", 2)
    key = read_private_key(Path(args.key)) if args.key else None
    try:
        size = download_document(args.node, args.sha256, Path(args.out), key)
    except DocumentClientError as exc:
        return _fail(str(exc))
    print(f"OK {args.out}: {size} bytes, SHA-256 {args.sha256}", file=sys.stderr)
    return 0


def cmd_document_fsck(args: argparse.Namespace) -> int:
    """Re-hash every stored document against its name."""
    from ipledger.config import load_config
    from ipledger.documents import FilesystemDocumentStore

    store = FilesystemDocumentStore.from_config(load_config(Path(args.data), args.config))
    report = store.fsck()
    for line in report.corrupted:
        print(f"CORRUPTED {line}")
    for line in report.misplaced:
        print(f"MISPLACED {line} (not named by its SHA-256)")
    for line in report.temporary:
        print(f"TEMPORARY {line} (an unfinished upload)")
    print(f"{'OK' if report.ok else 'FAILED'}: {report.checked} documents "
          f"({report.bytes_checked} bytes) re-hashed in {store.root}")
    return 0 if report.ok else 1


# -- argument parsing -------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipledger", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create a node: keys, log.vkey, empty store")
    p.add_argument("--data", required=True, help="data directory")
    p.add_argument("--origin", required=True, help="the log's origin (checkpoint first line)")
    p.add_argument("--office", help="also admit this office (ST.3 code) and make a registrar "
                   "key for it at DATA/keys/registrar.key")
    p.add_argument("--profile", default="generic",
                   help="the office's profile (generic, euipo, uspto or a TOML file)")
    p.add_argument("--country", help="the registrar's ST.3 country (default: the office's)")
    p.add_argument("--store", default=SQLITE_FILE,
                   help="a SQLite file in DATA (default: %(default)s) or the URL of an empty "
                   "PostgreSQL database, postgresql://USER[:PASSWORD]@HOST[:PORT]/DB")
    p.set_defaults(func=cmd_init)

    def serve_args(p: argparse.ArgumentParser) -> None:
        # Flags override $IPLEDGER_<SECTION>_<KEY>, which override DATA/ipledger.toml
        # (docs/configuration.md); None: not given.
        p.add_argument("--data", required=True)
        p.add_argument("--config", metavar="FILE",
                       help="read this TOML file instead of DATA/ipledger.toml")
        p.add_argument("--host", help="[server] host (default 127.0.0.1)")
        p.add_argument("--port", type=int, help="[server] port (default 8000)")
        p.add_argument("--log-level", help="[server] log_level (default info)")
        p.add_argument("--access-log", action="store_true", default=None,
                       help="[server] access_log")
        p.add_argument("--log-format", choices=("text", "json"),
                       help="[server] log_format: text (default) or one JSON object per line")
        p.add_argument("--store", help="use this store instead of node.json's (a postgresql:// "
                       "URL holding this node's ledger; also $IPLEDGER_STORE_URL)")

    p = sub.add_parser("serve", help="serve the REST API, tlog tiles and web pages")
    serve_args(p)
    p.set_defaults(func=cmd_serve)

    from ipledger.cli_network import add_network_commands

    add_network_commands(sub, serve_args)

    from ipledger.cli_witness import add_witness_commands

    add_witness_commands(sub)

    from ipledger.cli_tsa import add_tsa_commands

    add_tsa_commands(sub)

    from ipledger.cli_priority import add_priority_commands

    add_priority_commands(sub)

    from ipledger.cli_certificate import add_certificate_commands

    add_certificate_commands(sub)

    from ipledger.cli_gazette import add_gazette_commands

    add_gazette_commands(sub)

    from ipledger.cli_credential import add_credential_commands

    add_credential_commands(sub)

    from ipledger.cli_authenticity import add_authenticity_commands

    add_authenticity_commands(sub)

    p = sub.add_parser("demo", help="init if needed, build a sample register (once), serve")
    serve_args(p)
    p.add_argument("--origin", default="demo.ipledger.localhost/evidence")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("config", help="a node's configuration (docs/configuration.md)")
    config_sub = p.add_subparsers(dest="config_command", required=True)
    p = config_sub.add_parser("show", help="the effective configuration, each value with its "
                              "source (flag, environment, file, default)")
    p.add_argument("--data", required=True)
    p.add_argument("--config", metavar="FILE",
                   help="read this TOML file instead of DATA/ipledger.toml")
    p.set_defaults(func=cmd_config_show)

    p = sub.add_parser(
        "doctor", help="check a node (keys, permissions, store, disk, clock, checkpoint, "
        "config) and say what to fix",
        description="One line per check: OK, WARN or FAIL with the fix. Exit status 0 if "
        "nothing FAILed, else 1.")
    p.add_argument("--data", required=True)
    p.add_argument("--config", metavar="FILE",
                   help="check this TOML file instead of DATA/ipledger.toml")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("keygen", help="create an Ed25519 signing key (PKCS#8 PEM, mode 0600)")
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("stamp", help="record files' SHA-256 as evidence; writes PATH.receipt.json")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--key", help=f"signing key (default $IPLEDGER_KEY or {DEFAULT_KEY})")
    p.add_argument("--media-type", help="media type for every file (default: guessed)")
    p.add_argument("--no-name", action="store_true", help="do not record a hash of the name")
    p.add_argument("--rfc3161", action="store_true", help="instead, get an RFC 3161 token "
                   "from the node's TSA and write PATH.tsr (docs/tsa.md)")
    p.add_argument("--batch-size", type=int, default=200,
                   help="entries per POST /v1/entries/batch request (default 200)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_stamp)

    p = sub.add_parser("submit", help="sign and submit any entry type (see GET /v1/types)")
    p.add_argument("type", metavar="TYPE", help="e.g. party.register, right.file, right.act")
    p.add_argument("--body", required=True, help="the body as JSON, or @FILE")
    p.add_argument("--node", required=True)
    p.add_argument("--key", help=f"signing key (default $IPLEDGER_KEY or {DEFAULT_KEY})")
    p.add_argument("--endorse", action="append", default=[], metavar="KEYFILE",
                   help="also endorse with this key (co-signers, new keys); repeatable")
    p.add_argument("--receipt", help="write the receipt to this file")
    p.add_argument("--out", metavar="FILE", help="only sign: write the signed envelope "
                   "(canonical JSON) to FILE instead of submitting it (docs/filing.md)")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("verify", help="check a file against its receipt (or an extract), offline")
    p.add_argument("path", metavar="PATH",
                   help="the stamped file, or the word 'extract', 'receipt', 'certificate' or "
                   "'export'")
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="with 'extract', 'receipt' or 'certificate' (a PDF): the document to "
                   "check; with 'export': the export directory")
    p.add_argument("--receipt", help="receipt file (default PATH.receipt.json)")
    p.add_argument("--vkey", required=True, help="the log's verifier key, or a file holding it")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("log", help="inspect a log")
    log_sub = p.add_subparsers(dest="log_command", required=True)
    p = log_sub.add_parser("info", help="size, root hash, latest checkpoint")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data")
    where.add_argument("--node")
    p.set_defaults(func=cmd_log_info)
    p = sub.add_parser("replay", help="rebuild the register from the log; compare state roots")
    p.add_argument("--data", required=True)
    p.set_defaults(func=cmd_replay)

    p = log_sub.add_parser("fsck", help="recompute every tile, root and checkpoint from entries")
    p.add_argument("--data", required=True)
    p.set_defaults(func=cmd_log_fsck)

    p = sub.add_parser("import", help="import published rights (right.import entries)")
    import_sub = p.add_subparsers(dest="import_command", required=True)
    p = import_sub.add_parser(
        "export", help="make a node from an export: verify it, then rebuild every tile, key "
        "and the register from its entries", description="Exit status 0 only if the export "
        "verifies and the rebuilt node proves equal to it (fsck, replay, state roots).")
    p.add_argument("export", help="a directory written by 'ipledger export'")
    p.add_argument("--data", required=True, help="the new node directory (empty or absent)")
    p.add_argument("--store", default=SQLITE_FILE,
                   help="SQLite file in DATA (default) or an empty postgresql:// database")
    p.add_argument("--keys", help="the office's keys directory (log.key; genesis.key if kept) "
                   "so the node can serve and extend the log; without it, a verified copy")
    p.set_defaults(func=cmd_import_export)

    p = import_sub.add_parser(
        "st96", help="import trademarks from ST.96 XML (Trademark, TrademarkBag, USPTO TSDR)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sign one right.import entry per trademark record with a registrar's key "
        "and submit them in batches.",
        epilog="The key must belong to a registrar of the office. On a node made with\n"
        "'ipledger init --data DATA ...' (genesis key: DATA/keys/genesis.key):\n"
        "  ipledger keygen --out registrar.key\n"
        "  ipledger office bootstrap --data DATA --office US --profile uspto --key registrar.key\n"
        "(node stopped), or against a running node, with ipledger submit:\n"
        "  office.register {office, name, profile}        --key DATA/keys/genesis.key\n"
        "  party.register  {name, country, kind}           --key registrar.key\n"
        "  role.grant      {office, party, role: registrar} --key DATA/keys/genesis.key\n"
        "Exit status 1 if any record was rejected (each is listed with its reason).")
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--key", help="a registrar's signing key (default $IPLEDGER_KEY)")
    p.add_argument("--office", help="the office (ST.3) when a record names none")
    p.add_argument("--state", help="force this lifecycle state (default: from the record)")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_import_st96)

    p = sub.add_parser("office", help="set up an office on a local (stopped) node")
    office_sub = p.add_subparsers(dest="office_command", required=True)
    p = office_sub.add_parser(
        "bootstrap", help="office.register + party.register + role.grant (registrar)")
    p.add_argument("--data", required=True)
    p.add_argument("--office", required=True, help="ST.3 code, e.g. EM")
    p.add_argument("--profile", required=True, help="office profile, e.g. euipo, uspto")
    p.add_argument("--key", required=True, help="the registrar's key (ipledger keygen)")
    p.add_argument("--name", help="the office's name")
    p.add_argument("--registrar-name", help="the registrar party's name")
    p.add_argument("--country", help="the registrar's country (default: the office code)")
    p.set_defaults(func=cmd_office_bootstrap)

    p = sub.add_parser("store", help="manage a node's store")
    store_sub = p.add_subparsers(dest="store_command", required=True)
    p = store_sub.add_parser(
        "migrate", help="copy a stopped node's store into an empty one (e.g. SQLite -> "
        "PostgreSQL), prove it by fsck, replay and root equality",
        description="Exit status 0 only if the copy re-derives every tile, checkpoint and "
        "state root and ends at the source's roots.")
    p.add_argument("--data", required=True)
    p.add_argument("--to", required=True, metavar="STORE",
                   help="an empty store: postgresql://… URL, or a SQLite file name in DATA")
    p.add_argument("--switch", action="store_true",
                   help="on success, make node.json use the new store")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_store_migrate)

    p = sub.add_parser("export", help="write the whole log as portable files (tlog-tiles "
                       "layout: checkpoint, hash tiles, entry bundles, every checkpoint)")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="the export directory")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help="online backup of a running (or stopped) node into a new "
                       "directory, proven by fsck and replay")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="a new directory: itself a node directory "
                   "(keys, config, SQLite store from one snapshot)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="make a node from a backup, then prove it by fsck, "
                       "replay and root equality with the backup")
    p.add_argument("backup", help="a directory written by 'ipledger backup'")
    p.add_argument("--data", required=True, help="the new node directory (empty or absent)")
    p.add_argument("--store", default=SQLITE_FILE,
                   help="SQLite file in DATA (default) or an empty postgresql:// database")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("mirror", help="mirror other offices' registers through their "
                       "tlog-tiles, verified (docs/mirroring.md)")
    mirror_sub = p.add_subparsers(dest="mirror_command", required=True)
    p = mirror_sub.add_parser(
        "add", help="mirror the log at URL (a node's URL or its /tlog/ prefix, or an export "
        "directory); its checkpoint must verify with --vkey")
    p.add_argument("url", metavar="URL")
    p.add_argument("--vkey", required=True, help="the office's log verifier key, or a file "
                   "holding it (its name is the log's origin)")
    p.add_argument("--data", required=True)
    p.add_argument("--genesis", help="the register's genesis DID (default: asked of the node, "
                   "or the export's ledger.json; checked by replay either way)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    p.set_defaults(func=cmd_mirror_add)
    p = mirror_sub.add_parser(
        "sync", help="fetch and verify what is new (checkpoint signature, every leaf, hash "
        "tiles, state roots by replay); a failing sync stores nothing",
        description="Exit status 1 if any mirror's sync was refused (each says why).")
    p.add_argument("--data", required=True)
    p.add_argument("--origin", help="only this mirror (origin or name; default: all)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    p.set_defaults(func=cmd_mirror_sync)
    p = mirror_sub.add_parser("list", help="mirrors, their size and last sync")
    p.add_argument("--data", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_mirror_list)

    p = sub.add_parser("document", help="the node's document store (files named by SHA-256, "
                       "confidential until the right listing them is published)")
    document_sub = p.add_subparsers(dest="document_command", required=True)
    p = document_sub.add_parser("put", help="upload a file (streamed); prints its SHA-256")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--key", required=True, help="a party's key (logs in with it)")
    p.add_argument("--media-type", help="the file's media type (default: from its name)")
    p.set_defaults(func=cmd_document_put)
    p = document_sub.add_parser("get", help="download a document; written to --out only if "
                                "it hashes to SHA256")
    p.add_argument("sha256", metavar="SHA256")
    p.add_argument("--node", required=True)
    p.add_argument("--key", help="a party's key, for a confidential document")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_document_get)
    p = document_sub.add_parser("fsck", help="re-hash every stored document against its name")
    p.add_argument("--data", required=True)
    p.add_argument("--config", metavar="FILE",
                   help="read this TOML file instead of DATA/ipledger.toml")
    p.set_defaults(func=cmd_document_fsck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (NodeError, KeyFileError, StorageError, FileExistsError, ConfigError,
            NetworkConfigError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
