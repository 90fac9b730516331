"""``ipledger network …``: office nodes of a shared ledger ordered by NATS JetStream."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ipledger.log.cosignature import CosignatureError, parse_cosigner_vkey
from ipledger.network.config import NETWORK_FILE, Member, NetworkConfig, NetworkConfigError


def cmd_network_init(args: argparse.Namespace) -> int:
    from ipledger.network.office_node import init_office_node

    vkey = init_office_node(Path(args.data), args.ledger, args.office, args.genesis, args.store)
    print(vkey)
    return 0


def cmd_network_describe(args: argparse.Namespace) -> int:
    members = []
    for item in args.member:
        path = Path(item)
        vkey = path.read_text().strip() if path.exists() else item
        try:
            name, _ = parse_cosigner_vkey(vkey)
        except CosignatureError as exc:
            raise NetworkConfigError(f"--member {item}: {exc}") from None
        members.append(Member(name, vkey))
    network = NetworkConfig(ledger=args.ledger, stream=args.stream, genesis=args.genesis,
                            members=tuple(members), quorum=args.quorum or len(members) // 2 + 1,
                            replicas=args.replicas)
    network.check()
    if args.out:
        network.write(Path(args.out))
    else:
        print(json.dumps(network.to_json(), indent=2))
    return 0


def cmd_network_serve(args: argparse.Namespace) -> int:
    from ipledger.cli import _serve_config, serve_ledger
    from ipledger.logs import configure_logging
    from ipledger.network.office_node import open_shared_ledger

    settings = _serve_config(args)
    configure_logging(settings.server.log_format, settings.server.log_level,
                      settings.server.access_log)
    ledger = open_shared_ledger(Path(args.data), args.nats.split(","), settings=settings)
    return serve_ledger(ledger, settings)


def cmd_network_up(args: argparse.Namespace) -> int:
    from ipledger.network.local import LocalNetwork

    local = LocalNetwork(Path(args.dir), args.offices, base_port=args.base_port,
                         quorum=args.quorum)
    signal.signal(signal.SIGTERM, _interrupt)  # stop everything on SIGTERM too
    try:
        local.start()
        print(f"network {local.network.ledger}: {len(local.offices)} offices, quorum "
              f"{local.network.quorum}, NATS {local.nats.servers_url}")
        for office in local.offices:
            print(f"  {office.name}: {office.url}  (data {office.data})")
        print(f"description: {Path(args.dir) / NETWORK_FILE}; Ctrl-C stops everything",
              flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        local.stop()


def cmd_network_join(args: argparse.Namespace) -> int:
    from ipledger.network.finality import FinalityError
    from ipledger.network.join import join_from_peer
    from ipledger.network.mirror import MirrorError

    try:
        joined = join_from_peer(Path(args.data), args.peer)
    except (FinalityError, MirrorError) as exc:
        print(f"ipledger: REFUSED: {exc}", file=sys.stderr)
        return 1
    print(f"joined at size {joined.tree_size} (stream position {joined.stream_seq}), final "
          f"by {', '.join(joined.cosigned_by)}; now run 'ipledger network serve'")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_network_verify(args: argparse.Namespace) -> int:
    from ipledger.network.finality import FinalityError, verify_finality

    network = NetworkConfig.load(Path(args.network))
    proof = sys.stdin.read() if args.proof == "-" else Path(args.proof).read_text()
    try:
        checkpoint, members = verify_finality(proof, network)
    except FinalityError as exc:
        print(f"ipledger: NOT FINAL: {exc}", file=sys.stderr)
        return 1
    print(f"final: {checkpoint.origin} size {checkpoint.tree_size} root "
          f"{checkpoint.root_hash.hex()}, cosigned by {', '.join(members)} "
          f"(quorum {network.quorum} of {len(network.members)})")
    return 0


def add_network_commands(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                         serve_args: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("network", help="a shared ledger of several offices, ordered by NATS "
                       "JetStream (docs/network.md)")
    net = p.add_subparsers(dest="network_command", required=True)

    p = net.add_parser("init", help="create this office's node of a shared ledger; prints its "
                       "cosigner key for network.json")
    p.add_argument("--data", required=True)
    p.add_argument("--ledger", required=True, help="the shared ledger's origin")
    p.add_argument("--office", required=True, help="this office's name in the network")
    p.add_argument("--genesis", required=True, help="DID of the shared register's genesis key")
    p.add_argument("--store", default="ledger.sqlite")
    p.set_defaults(func=cmd_network_init)

    p = net.add_parser("describe", help="write network.json from the members' cosigner keys")
    p.add_argument("--ledger", required=True)
    p.add_argument("--stream", required=True, help="JetStream stream name")
    p.add_argument("--genesis", required=True)
    p.add_argument("--member", action="append", required=True,
                   help="a member's cosigner vkey, or a file holding it (repeat)")
    p.add_argument("--quorum", type=int, help="cosignatures for finality (default: majority)")
    p.add_argument("--replicas", type=int, default=3, help="stream replicas (1, 3 or 5)")
    p.add_argument("--out", help="write here (default: print)")
    p.set_defaults(func=cmd_network_describe)

    p = net.add_parser("serve", help="run this office's node: consume the stream, validate, "
                       "cosign, serve HTTP")
    serve_args(p)
    p.add_argument("--nats", required=True, help="NATS URLs, comma-separated")
    p.set_defaults(func=cmd_network_serve)

    p = net.add_parser("join", help="fill a new office node from a peer's tiles up to a final "
                       "checkpoint (verified against network.json), before its first serve")
    p.add_argument("--data", required=True)
    p.add_argument("--from", dest="peer", required=True, help="a member node's URL")
    p.set_defaults(func=cmd_network_join)

    p = net.add_parser("up", help="start a local network: NATS servers and office nodes")
    p.add_argument("--offices", type=int, default=4)
    p.add_argument("--dir", default="data/network", help="where nodes and servers keep data")
    p.add_argument("--base-port", type=int, default=8100, help="first office's HTTP port")
    p.add_argument("--quorum", type=int)
    p.set_defaults(func=cmd_network_up)

    p = net.add_parser("verify", help="check a finality proof offline against network.json")
    p.add_argument("proof", help="the proof (GET /v1/network/finality), or - for stdin")
    p.add_argument("--network", required=True, help="the network's network.json")
    p.set_defaults(func=cmd_network_verify)


__all__ = ["NetworkConfigError", "add_network_commands"]
