"""Two real office nodes: B mirrors A's register through A's tlog-tiles, serves it
read-only with A's proofs, keeps it in step incrementally, and searches both registers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ipledger.log import TILE_WIDTH, changed_tiles
from ipledger.network.mirror import list_mirrors, sync_mirror
from tests.integration.node_process import NodeProcess, ipledger, seeded_node
from tests.mirror.registers import file_trademark, stamp, wait_for_size

pytestmark = pytest.mark.slow

ORIGIN_A = "office-a.example/register"
ORIGIN_B = "office-b.example/register"


@dataclass
class Offices:
    a: NodeProcess
    b_data: Path
    tmp: Path
    published: str = ""  # an A trademark filed and disclosed after the first sync
    unpublished: str = ""  # an A trademark filed, never disclosed


@pytest.fixture(scope="module")
def offices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Offices]:
    tmp = tmp_path_factory.mktemp("mirror")
    seeded_node(tmp / "a", ORIGIN_A)
    seeded_node(tmp / "b", ORIGIN_B)
    with NodeProcess(tmp / "a", ORIGIN_A) as a:
        yield Offices(a, tmp / "b", tmp)


def _size(node: NodeProcess) -> int:
    return int(httpx.get(f"{node.url}/v1/log", timeout=10).json()["tree_size"])


def test_mirror_verifies_grows_incrementally_serves_and_searches(offices: Offices) -> None:
    a, b_data, tmp = offices.a, offices.b_data, offices.tmp
    vkey_file = str(a.data / "log.vkey")
    added = ipledger("mirror", "add", a.url, "--vkey", vkey_file, "--data", str(b_data))
    assert f"mirroring {ORIGIN_A} from {a.url}/tlog" in added.stdout, added.stdout
    first = ipledger("mirror", "sync", "--data", str(b_data))
    size0 = _size(a)
    assert f"OK {ORIGIN_A}: {size0} entries verified ({size0} new;" in first.stdout, first

    # A grows past an entry-bundle boundary; the next sync fetches only what is new.
    offices.published = file_trademark(a.url, a.data, ORIGIN_A, "NORTHWIND SAILS", [25, 35],
                                       disclose=True)
    offices.unpublished = file_trademark(a.url, a.data, ORIGIN_A, "SECRET PROJECT", [9],
                                         disclose=False)
    stamp(a.url, ORIGIN_A, 300)
    size1 = _size(a)
    wait_for_size(a.url, size1)
    assert size1 > TILE_WIDTH > size0
    (spec,) = list_mirrors(b_data)
    done = sync_mirror(b_data, spec.name)
    bundles = len(range(size0 // TILE_WIDTH, (size1 - 1) // TILE_WIDTH + 1))
    assert (done.old_size, done.tree_size) == (size0, size1)
    assert done.fetched == 1 + bundles + len(changed_tiles(size0, size1)), done
    again = sync_mirror(b_data, spec.name)
    assert (again.added, again.fetched) == (0, 1)  # the checkpoint only
    listed = json.loads(ipledger("mirror", "list", "--data", str(b_data), "--json").stdout)
    assert listed[0]["tree_size"] == size1 and listed[0]["last_error"] is None

    # B serves the mirror read-only, synced every second, with A's own proofs.
    (b_data / "ipledger.toml").write_text("[mirror]\nsync_interval_s = 1\n")
    with NodeProcess(b_data, ORIGIN_B) as b:
        _check_serving(b, a, spec.name, offices, tmp)
        _check_search(b, a, offices, tmp)
        _check_periodic_sync(b, a)
        _check_bad_search_parameters(b)


def _check_serving(b: NodeProcess, a: NodeProcess, name: str, offices: Offices,
                   tmp: Path) -> None:
    mirrors = httpx.get(f"{b.url}/v1/mirrors").json()["mirrors"]
    assert [(m["origin"], m["name"], m["vkey"]) for m in mirrors] == [(ORIGIN_A, name, a.vkey)]
    assert mirrors[0]["tree_size"] == _size(a) and mirrors[0]["last_sync"]
    base = f"{b.url}/v1/mirrors/{name}"
    assert httpx.get(f"{base}/tlog/checkpoint").text == httpx.get(
        f"{a.url}/tlog/checkpoint").text
    for path in ("tile/0/000", "tile/entries/000", "tile/1/000.p/1"):
        mirrored = httpx.get(f"{base}/tlog/{path}")
        assert mirrored.status_code == 200 and mirrored.content == httpx.get(
            f"{a.url}/tlog/{path}").content, path

    extract = httpx.get(f"{base}/rights/EM/trademark/{offices.published}/extract")
    assert extract.status_code == 200, extract.text
    path = tmp / "mirrored-extract.json"
    path.write_text(extract.text)
    ok = ipledger("verify", "extract", str(path), "--vkey", a.vkey)
    assert ok.stdout.startswith(f"OK {path}: right/EM/trademark/{offices.published} exists "
                                f"in {ORIGIN_A}"), ok.stdout
    wrong = ipledger("verify", "extract", str(path), "--vkey", b.vkey, check=False)
    assert wrong.returncode == 1 and "checkpoint-signature" in wrong.stdout
    right = httpx.get(f"{base}/rights/EM/trademark/{offices.published}").json()
    assert right["right"]["data"]["MarkRepresentation"]["MarkReproduction"][
        "WordMarkSpecification"]["MarkVerbalElementText"] == "NORTHWIND SAILS"

    for hidden in (f"{base}/rights/EM/trademark/{offices.unpublished}",
                   f"{base}/rights/EM/trademark/{offices.unpublished}/extract",
                   f"{base}/rights/EM/trademark/999999999"):
        resp = httpx.get(hidden)
        assert resp.status_code == 404, hidden
        assert resp.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{b.url}/v1/mirrors/nobody/tlog/checkpoint").status_code == 404

    for method, target in (("POST", f"{base}/entries"), ("PUT", f"{base}/rights/EM/x/1"),
                           ("DELETE", base), ("POST", f"{b.url}/v1/mirrors")):
        refused = httpx.request(method, target, content=b"{}",
                                headers={"Content-Type": "application/json"})
        assert refused.status_code == 405, (method, target, refused.text)
        assert refused.json()["rule"] == "method-not-allowed"
        assert refused.headers["allow"] == "GET, HEAD"
    assert httpx.get(f"{b.url}/v1/mirrors").json()["mirrors"][0]["tree_size"] == _size(a)


def _verify(doc: dict[str, Any], vkey: str, tmp: Path, name: str) -> str:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc))
    return ipledger("verify", "extract", str(path), "--vkey", vkey).stdout


def _check_search(b: NodeProcess, a: NodeProcess, offices: Offices, tmp: Path) -> None:
    found = httpx.get(f"{b.url}/v1/search", params={"q": "aurora"}).json()["results"]
    assert sorted(r["register"] for r in found) == sorted([ORIGIN_A, ORIGIN_B])
    vkeys = {ORIGIN_A: a.vkey, ORIGIN_B: b.vkey}
    for n, result in enumerate(found):
        assert result["title"] == "AURORA BREW" and result["classes"] == [30, 43]
        assert result["owners"][0]["name"] == "Aurora Brew GmbH"
        extract = httpx.get(b.url + result["links"]["extract"]).json()
        assert extract["tree_size"] == result["tree_size"]
        assert _verify(extract, vkeys[result["register"]], tmp, f"hit{n}").startswith("OK ")

    with_proofs = httpx.get(f"{b.url}/v1/search", params={
        "q": "northwind sails", "match": "exact", "proofs": "1"}).json()["results"]
    assert [(r["register"], r["number"]) for r in with_proofs] == [
        (ORIGIN_A, offices.published)]
    assert _verify(with_proofs[0]["extract"], a.vkey, tmp, "proof").startswith("OK ")

    def hits(**params: str) -> list[tuple[str, str]]:
        resp = httpx.get(f"{b.url}/v1/search", params=params)
        assert resp.status_code == 200, resp.text
        return [(r["register"], r["title"]) for r in resp.json()["results"]]

    assert hits(q="harb", match="prefix") == sorted(
        [(ORIGIN_A, "HARBOUR LIGHT"), (ORIGIN_B, "HARBOUR LIGHT")])
    assert hits(q="light", register=ORIGIN_B) == [(ORIGIN_B, "HARBOUR LIGHT")]
    assert hits(owner="brew gmbh", **{"class": "25"}) == [(ORIGIN_A, "NORTHWIND SAILS")]
    assert hits(status="opposition_period", office="EM", kind="trademark", limit="3") == [
        (ORIGIN_A, "AURORA BREW"), (ORIGIN_B, "AURORA BREW"), (ORIGIN_A, "HARBOUR LIGHT")]
    # Unpublished: in the log as a commitment, never in any result.
    assert hits(q="secret") == [] and hits(q="SECRET PROJECT", match="exact") == []
    everything = httpx.get(f"{b.url}/v1/search", params={"limit": "100"}).json()["results"]
    assert offices.unpublished not in {r["number"] for r in everything
                                       if r["register"] == ORIGIN_A}
    assert len(everything) == 5  # A: 3 published, B: 2


def _check_periodic_sync(b: NodeProcess, a: NodeProcess) -> None:
    file_trademark(a.url, a.data, ORIGIN_A, "ZEPHYR TEA", [30], disclose=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = httpx.get(f"{b.url}/v1/search", params={"q": "zephyr"}).json()["results"]
        if found:
            assert found[0]["register"] == ORIGIN_A
            return
        time.sleep(0.2)
    raise AssertionError("the serving node did not sync its mirror within 20 s")


def _check_bad_search_parameters(b: NodeProcess) -> None:
    for query, pointer in (("limit=0", "/limit"), ("limit=101", "/limit"),
                           ("limit=x", "/limit"), ("frobnicate=1", "/frobnicate"),
                           ("class=99", "/class"), ("class=-1", "/class"), ("q=", "/q"),
                           ("q=%20%20", "/q"), (f"q={'x' * 201}", "/q"),
                           ("status=bogus", "/status"), ("office=ZZ", "/office"),
                           ("kind=car", "/kind"), ("match=regex", "/match"),
                           ("filed_from=2027-02-30", "/filed_from"), ("number=a b", "/number"),
                           ("proofs=yes", "/proofs"), ("register=nobody", "/register"),
                           ("q=a&q=b", "/q")):
        resp = httpx.get(f"{b.url}/v1/search?{query}")
        assert resp.status_code == 400, (query, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        problem = resp.json()
        assert (problem["rule"], problem["pointer"]) == ("bad-parameter", pointer), query
