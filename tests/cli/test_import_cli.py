"""``ipledger office bootstrap`` and ``ipledger import st96`` against a real ``ipledger serve``."""

from __future__ import annotations

from pathlib import Path

import httpx

from ipledger.standards.st96 import load_schema, parse_xml
from tests.integration.node_process import NodeProcess, ipledger

FIXTURES = Path(__file__).parents[1] / "standards" / "fixtures"


def test_import_st96_files_into_a_running_node(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "node")
    registrar = tmp_path / "registrar.key"
    ipledger("keygen", "--out", str(registrar))
    done = ipledger("office", "bootstrap", "--data", str(node.data), "--office", "US",
                    "--profile", "uspto", "--key", str(registrar))
    assert "office.register, party.register, role.grant" in done.stdout
    again = ipledger("office", "bootstrap", "--data", str(node.data), "--office", "US",
                     "--profile", "uspto", "--key", str(registrar))
    assert "nothing to do" in again.stdout
    files = [str(p) for p in sorted(FIXTURES.glob("*.xml"))]
    with node:
        result = ipledger("import", "st96", *files, "--node", node.url, "--key", str(registrar),
                          "--batch-size", "2", check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "imported 3, rejected 0" in result.stdout
        assert "3/3" in result.stderr  # the progress line

        xml = httpx.get(f"{node.url}/v1/rights/US/trademark/90000001.xml", timeout=10)
        assert xml.status_code == 200
        assert load_schema().validate(parse_xml(xml.content))

        # Someone who is not a registrar: every record is refused, with the reason.
        stranger = tmp_path / "stranger.key"
        ipledger("keygen", "--out", str(stranger))
        refused = ipledger("import", "st96", *files, "--node", node.url, "--key", str(stranger),
                           "--quiet", check=False)
        assert refused.returncode == 1
        assert "imported 0, rejected 3" in refused.stdout
        assert "REJECTED" in refused.stdout and "not-authorized at /actor" in refused.stdout

        # A document that is not ST.96 is reported, and the rest is still imported.
        bad = tmp_path / "bad.xml"
        bad.write_bytes(b"<html/>")
        mixed = ipledger("import", "st96", str(bad), files[0], "--node", node.url,
                         "--key", str(registrar), "--quiet", check=False)
        assert mixed.returncode == 1
        assert "imported 1, rejected 1" in mixed.stdout
        assert f"REJECTED {bad}: st96-namespace" in mixed.stdout

    missing_key = ipledger("import", "st96", files[0], "--node", node.url, check=False,
                           env={"IPLEDGER_KEY": ""})
    assert missing_key.returncode == 2 and "registrar" in missing_key.stderr
