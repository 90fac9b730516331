"""``ipledger authenticity batch/distributors/inspect/verify``: a serial list becomes a
registered batch and labels whose QR codes (read back by zbarimg) carry the label URL,
which verifies as genuine; customs records an inspection from the URL alone."""

from __future__ import annotations

import contextlib
import csv
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ipledger.cli import main
from ipledger.identity import SigningKey, write_private_key
from ipledger.services import authenticity_client as client_lib
from ipledger.services.serials import LABEL_PATH
from tests.api.access_scenario import make_client
from tests.authenticity.scenario import DAY_MS, Brand, pid
from tests.registry.conftest import Node

NODE = "http://testserver"


@pytest.fixture
def live(node: Node, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Brand, TestClient]]:
    """The brand's register with ledger time at the wall clock (the CLI signs with it)."""
    brand = Brand(node, time.time_ns() // 1_000_000 - 100 * DAY_MS - 60_000)
    client, _ = make_client(node)

    @contextlib.contextmanager
    def in_process(url: str) -> Iterator[TestClient]:
        yield client

    monkeypatch.setattr(client_lib, "http_client", in_process)
    with client:
        yield brand, client


def test_batch_labels_qr_inspect_and_verify(live: tuple[Brand, TestClient], tmp_path: Path,
                                            system_tool: Callable[[str], str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    brand, client = live
    keys = {}
    for name in ("owner", "customs", "outsider"):
        keys[name] = tmp_path / f"{name}.key"
        write_private_key(keys[name], brand.key(name))
    serials = tmp_path / "serials.txt"
    serials.write_text("A-0001\nA-0002\n\nA-0003\n")
    out = tmp_path / "labels"
    mark = ("--node", NODE, "--office", "EM", "--number", brand.number)
    assert main(["authenticity", "batch", str(serials), *mark, "--key", str(keys["owner"]),
                 "--product", "Cold brew, 250 ml", "--out", str(out), "--qr", "png"]) == 0
    assert "3 items" in capsys.readouterr().out
    with (out / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["serial"] for r in rows] == ["A-0001", "A-0002", "A-0003"]
    assert len({r["salt"] for r in rows}) == 3
    for row in rows:
        assert row["url"].startswith(f"{NODE}{LABEL_PATH}?office=EM&number={brand.number}")
        decoded = subprocess.run([system_tool("zbarimg"), "--quiet", "--raw",
                                  str(out / "qr" / f"{row['serial']}.png")],
                                 capture_output=True, text=True, check=True)
        assert decoded.stdout.strip() == row["url"]
    commitments = (out / "commitments.txt").read_text()
    assert "A-0001" not in commitments and rows[0]["salt"] not in commitments

    url = rows[0]["url"]
    assert main(["authenticity", "verify", url, "--node", NODE]) == 0
    assert capsys.readouterr().out.startswith("GENUINE EM")
    page = client.get(url)  # what a phone opens
    assert 'data-verdict="genuine"' in page.text

    assert main(["authenticity", "distributors", *mark, "--key", str(keys["owner"]),
                 "--distributor", f"{pid(brand.keys['distributor'])}:DE,AT"]) == 0
    inspect = ["authenticity", "inspect", url, "--node", NODE, "--authority", "DE",
               "--country", "DE", "--point", "Hamburg port"]
    assert main([*inspect, "--key", str(keys["outsider"])]) == 1
    assert "not-authorized" in capsys.readouterr().err
    assert main([*inspect, "--key", str(keys["customs"])]) == 0
    capsys.readouterr()
    assert main(["authenticity", "verify", url, "--node", NODE, "--country", "PL",
                 "--json"]) == 3
    assert '"seen-elsewhere"' in capsys.readouterr().out

    # The evidence, saved once, proves the item offline with the office's key alone.
    evidence = tmp_path / "evidence"
    assert main(["authenticity", "verify", url, "--node", NODE, "--save", str(evidence)]) == 0
    assert "saved" in capsys.readouterr().err
    check = ["authenticity", "check", url, "--extract", str(evidence / "extract.json"),
             "--commitments", str(evidence / "commitments.txt")]
    vkey = str(brand.node.data / "log.vkey")
    assert main([*check, "--vkey", vkey]) == 0
    assert capsys.readouterr().out.startswith("OK genuine: serial A-0001 of EM")
    forged = url.replace(rows[0]["salt"], "0" * 32)
    assert main(["authenticity", "check", forged, *check[3:], "--vkey", vkey]) == 1
    assert "serial: " in capsys.readouterr().out
    other_key = tmp_path / "other.vkey"
    other_key.write_text(SigningKey.generate().public_key.hex())  # not a vkey at all
    assert main([*check, "--vkey", str(other_key)]) == 1
    assert capsys.readouterr().out.startswith("FAILED")
    listed = (evidence / "commitments.txt").read_bytes()
    (evidence / "commitments.txt").write_bytes(listed[65:])  # an item dropped
    assert main([*check, "--vkey", vkey]) == 1
    assert "commitment-list" in capsys.readouterr().out

    ledger = brand.node.ledger
    before = ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None
    bad = tmp_path / "bad.txt"
    bad.write_text("A-0001\nnot ok\n")
    assert main(["authenticity", "batch", str(bad), *mark, "--key", str(keys["owner"]),
                 "--product", "x", "--out", str(tmp_path / "none")]) == 1
    assert f"{bad}:2" in capsys.readouterr().err
    refused = ["authenticity", "batch", str(serials), *mark, "--key", str(keys["outsider"]),
               "--product", "x", "--out", str(tmp_path / "outsider")]
    assert main(refused) == 1
    assert "not-authorized" in capsys.readouterr().err
    assert not (tmp_path / "outsider" / "labels.csv").exists()  # no labels for a refusal
    assert (ledger.store.tree_size(), ledger.rules.root() if ledger.rules else None) == before


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("batch", "distributors", "inspect", "verify", "check"):
        with pytest.raises(SystemExit) as done:
            main(["authenticity", command, "--help"])
        assert done.value.code == 0
        assert "usage: ipledger authenticity " + command in capsys.readouterr().out
