"""Digital Bazaar's Verifiable Credentials stack (@digitalbazaar/vc with the
eddsa-rdfc-2022 cryptosuite and the Bitstring Status List library; interop/vc-js, installed
by scripts/build-vc-js) verifies ipledger's credentials and reads their status bits: an
implementation nobody here wrote, with the W3C context as its package ships it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ipledger.credentials.issuer import Issuer, credential_key
from ipledger.credentials.loader import BUNDLED, IPLEDGER_V1
from ipledger.credentials.register import RightRef
from tests.credentials.conftest import Scenario
from tests.registry.conftest import ORIGIN

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = ROOT / "src" / "ipledger" / "credentials" / "contexts" / BUNDLED[IPLEDGER_V1]
NOW = "2030-01-01T00:00:00Z"  # after every ledger time of the scenario


@pytest.fixture(scope="module")
def vcjs(system_tool: Any) -> list[str]:
    node = system_tool("node")
    script = Path(os.environ.get("IPLEDGER_VCJS") or ROOT / ".build" / "vc-js" / "verify.mjs")
    if not (script.parent / "node_modules").is_dir():
        message = f"{script.parent} is not installed (run scripts/build-vc-js)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI")
        pytest.skip(message)
    return [node, str(script)]


@pytest.fixture(scope="module")
def files(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    issuer = Issuer(scenario.node.ledger.store, credential_key(scenario.data),
                    "https://register.office.example", ORIGIN)
    right = RightRef("EM", "trademark", scenario.number)
    s0, _, s2 = scenario.sizes
    docs: dict[str, Any] = {
        "did": issuer.did_document(),
        "registration": issuer.registration(right, s0),
        "licence": issuer.licence(right, "L2", s0),
        "assignment": issuer.assignment(right, scenario.assignments[0], s2),
        "status0": issuer.status_list(right, s0), "status2": issuer.status_list(right, s2)}
    tampered = json.loads(json.dumps(docs["registration"]))
    tampered["credentialSubject"]["MarkVerbalElementText"] = "AURORA BREWS"
    docs["tampered"] = tampered
    folder = tmp_path_factory.mktemp("vcjs")
    out = {}
    for name, doc in docs.items():
        out[name] = folder / f"{name}.json"
        out[name].write_text(json.dumps(doc))
    return out


def _verify(vcjs: list[str], files: dict[str, Path], name: str,
            status: str | None = None) -> dict[str, Any]:
    args = [*vcjs, str(files[name]), str(files["did"]), str(CONTEXT)]
    if status:
        args.append(str(files[status]))
    done = subprocess.run(args, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "VC_NOW": NOW}, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_vcjs_verifies_our_credentials(vcjs: list[str], files: dict[str, Path]) -> None:
    for name in ("registration", "licence", "assignment", "status2"):
        assert _verify(vcjs, files, name) == {"verified": True, "status": None,
                                              "error": None}, name


def test_vcjs_reads_the_same_status_bits(vcjs: list[str], files: dict[str, Path]) -> None:
    assert _verify(vcjs, files, "registration", "status0")["status"] == "active"
    assert _verify(vcjs, files, "registration", "status2")["status"] == "revoked"
    assert _verify(vcjs, files, "licence", "status0")["status"] == "active"
    assert _verify(vcjs, files, "licence", "status2")["status"] == "revoked"  # expired
    assert _verify(vcjs, files, "assignment", "status2")["status"] == "revoked"  # superseded


def test_vcjs_refuses_a_tampered_credential(vcjs: list[str], files: dict[str, Path]) -> None:
    result = _verify(vcjs, files, "tampered")
    assert result["verified"] is False and result["error"], result
