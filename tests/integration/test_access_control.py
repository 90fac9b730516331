"""Access control on a real ``ipledger serve``: login with the registrar's key, headers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ipledger.identity import read_private_key
from ipledger.services.auth_client import login, logout
from tests.integration.node_process import ORIGIN, NodeProcess, ipledger

pytestmark = pytest.mark.slow


def test_registrar_logs_in_to_a_real_node(tmp_path: Path, store_spec: str | None) -> None:
    data = tmp_path / "node"
    ipledger("init", "--data", str(data), "--origin", ORIGIN, "--office", "EM",
             "--profile", "euipo", "--country", "ES", *(("--store", store_spec) if store_spec
                                                         else ()))
    registrar = read_private_key(data / "keys" / "registrar.key")
    with NodeProcess(data) as node:
        session = login(node.url, registrar, expected_origin=ORIGIN)
        me = httpx.get(f"{node.url}/v1/auth/whoami", headers=session.headers)
        assert me.status_code == 200 and me.json()["roles"] == {"EM": ["registrar"]}
        assert "server" not in me.headers  # no "Server: uvicorn"
        assert me.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in me.headers["content-security-policy"]
        page = httpx.get(f"{node.url}/")
        assert page.status_code == 200 and "server" not in page.headers
        assert page.headers["x-frame-options"] == "DENY"
        public = httpx.get(f"{node.url}/tlog/checkpoint",
                           headers={"Origin": "https://verifier.example"})
        assert public.headers["access-control-allow-origin"] == "*"
        logout(session)
        gone = httpx.get(f"{node.url}/v1/auth/whoami", headers=session.headers)
        assert gone.status_code == 401 and gone.json()["rule"] == "invalid-token"
