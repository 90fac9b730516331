"""Fuzzing the front door: no input crashes validation, and no rejected input changes the
ledger or the register."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import atheris
import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.api.hardening import AccessConfig
from ipledger.demo import seed
from ipledger.node import init_node, open_ledger
from ipledger.registry.engine import replay_register
from tests.hardening import fuzz_envelope

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent


def test_the_fuzzer_finds_no_crash(tmp_path: Path) -> None:
    """libFuzzer-driven: ``IPLEDGER_FUZZ_RUNS`` inputs (``make fuzz`` runs 1,000,000)."""
    runs = int(os.environ.get("IPLEDGER_FUZZ_RUNS", "30000"))
    done = subprocess.run(
        [sys.executable, str(HERE / "fuzz_envelope.py"), f"-runs={runs}", "-seed=20261121",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"],
        capture_output=True, text=True, timeout=3600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {runs} runs" in done.stderr, done.stderr[-2000:]


def test_rejected_inputs_change_nothing_over_http(tmp_path: Path) -> None:
    """Thousands of mutated envelopes and bodies against a node with a register: every
    answer is an accepted entry or a 4xx problem, and the log grows by exactly the
    accepted ones; replay then reproduces the state."""
    data = tmp_path / "node"
    init_node(data, fuzz_envelope.ORIGIN)
    ledger = open_ledger(data, validation_processes=False)
    rng = random.Random(20261121)
    try:
        seed(ledger, data)
        size = ledger.store.tree_size()
        accepted = rejected = 0
        # No rate limits: thousands of requests from one client are the point here.
        access = AccessConfig(requests=None, auth_requests=None, failed_logins=None)
        with TestClient(create_app(ledger, access)) as client:
            for i in range(3_000):
                fdp = atheris.FuzzedDataProvider(rng.randbytes(rng.randrange(8, 400)))
                if i % 3:
                    raw = fuzz_envelope.structured(fdp, created_ms=None)
                else:
                    raw = fdp.ConsumeBytes(400)
                if raw is None:
                    continue
                path = "/v1/entries" if i % 10 else "/v1/entries/batch"
                kind = "application/json" if i % 10 else "application/x-ndjson"
                resp = client.post(path, content=raw, headers={"Content-Type": kind})
                assert resp.status_code < 500, resp.text
                if resp.status_code == 201:
                    accepted += 1
                elif resp.status_code == 200:  # a batch: a receipt or a problem per line
                    accepted += resp.json()["accepted"]
                else:
                    rejected += 1
                    problem = resp.json()
                    assert problem["rule"] and problem["detail"], problem
                    assert problem["rule"] != "rate-limited"
        assert rejected > 2_000 and accepted > 20, (accepted, rejected)
        assert ledger.store.tree_size() == size + accepted
        report = replay_register(ledger.store, fuzz_envelope.ORIGIN)
        assert report.ok, report.problems
    finally:
        ledger.close()
        ledger.store.close()
