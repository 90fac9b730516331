"""``ipledger credential get`` from a node served on loopback, then ``credential verify``
offline: valid, revoked, tampered."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.cli import main
from ipledger.config import load_config
from tests.api.access_scenario import make_client
from tests.credentials.conftest import Scenario
from tests.http_server import loopback_socket, serving, url_of

LATER = "2030-01-01T00:00:00Z"  # after every ledger time of the scenario


@pytest.fixture(scope="module")
def node_url(scenario: Scenario) -> Iterator[str]:
    sock = loopback_socket()
    url = url_of(sock)
    client, _ = make_client(scenario.node)
    app = client.app
    config = load_config(scenario.data)
    app.state.config = dataclasses.replace(  # type: ignore[attr-defined]
        config, server=dataclasses.replace(config.server, public_url=url))
    with serving(app, sock):
        yield url


def _get(url: str, scenario: Scenario, out: Path, *extra: str) -> int:
    return main(["credential", "get", f"EM/trademark/{scenario.number}", "--node", url,
                 "-o", str(out), *extra])


def test_get_then_verify_offline(node_url: str, scenario: Scenario, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "registration.json"
    assert _get(node_url, scenario, out, "--size", str(scenario.sizes[0])) == 0
    assert json.loads((tmp_path / "registration.json.did.json").read_text())["id"] == \
        "did:web:127.0.0.1%3A" + node_url.rsplit(":", 1)[1]
    assert "note:" not in capsys.readouterr().err  # read from the issuer's own origin
    assert main(["credential", "verify", "--at", LATER, str(out)]) == 0
    assert "status: active" in capsys.readouterr().out
    # The same credential against the latest status list: the right was surrendered since.
    latest = tmp_path / "latest.json"
    assert _get(node_url, scenario, latest) == 0
    capsys.readouterr()
    assert main(["credential", "verify", "--at", LATER, str(out), "--status-list",
                 str(latest) + ".status-list.json"]) == 2
    assert "status: revoked" in capsys.readouterr().out


def test_licence_and_assignment_get(node_url: str, scenario: Scenario, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    licence, assignment = tmp_path / "l2.json", tmp_path / "a.json"
    assert _get(node_url, scenario, licence, "--licence", "L2") == 0
    assert _get(node_url, scenario, assignment, "--assignment",
                str(scenario.assignments[1])) == 0
    capsys.readouterr()
    assert main(["credential", "verify", "--at", LATER, str(licence)]) == 2  # L2 has expired
    assert main(["credential", "verify", "--at", LATER, str(assignment)]) == 0
    assert _get(node_url, scenario, tmp_path / "x.json", "--licence", "L7") == 1
    assert "not-found" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_verify_says_what_failed(node_url: str, scenario: Scenario, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    assert _get(node_url, scenario, out) == 0
    vc = json.loads(out.read_text())
    vc["credentialSubject"]["RegistrationNumber"] = "000000002"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(vc))
    capsys.readouterr()
    assert main(["credential", "verify", "--at", LATER, str(tampered), "--did-document",
                 str(out) + ".did.json"]) == 1
    assert "FAILED" in (text := capsys.readouterr().out) and "signature" in text
    assert main(["credential", "verify", "--at", LATER, str(tmp_path / "missing.json")]) == 1
    assert "input" in capsys.readouterr().out
