"""The search index of a register: in step with its records, incrementally, as of a signed
checkpoint; unpublished applications are never in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.node import init_node
from ipledger.search.fields import text_key, title_of
from ipledger.search.index import RegisterIndex
from ipledger.search.query import SearchParamError, SearchQuery, parse_query
from tests.api.access_scenario import Register
from tests.conftest import T0
from tests.registry.conftest import ORIGIN, FakeClock, Node
from tests.registry.test_rights_lifecycle import MARK, SALT


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Register]:
    init_node(tmp_path / "node", ORIGIN)
    node = Node(tmp_path / "node", FakeClock(T0))
    yield Register(node)
    node.close()


def _refresh(index: RegisterIndex, register: Register) -> int:
    ledger = register.node.ledger
    size = ledger.store.tree_size()
    checkpoint = ledger.wait_for_checkpoint(size, timeout=10)
    return index.refresh(ledger.store, checkpoint.tree_size)  # type: ignore[arg-type]


def _numbers(index: RegisterIndex, **criteria: object) -> list[str]:
    return [hit.right.number for hit in index.search(SearchQuery(**criteria))]  # type: ignore[arg-type]


def test_only_published_rights_are_indexed_and_changes_are_incremental(
        register: Register, tmp_path: Path) -> None:
    index = RegisterIndex(tmp_path / "search.sqlite")
    assert _refresh(index, register) == 2  # both filings read; one is unpublished
    assert _numbers(index) == ["000000002"]
    assert _numbers(index, text="aurora") == ["000000002"]
    assert index.count() == 1
    assert _refresh(index, register) == 0  # nothing new

    node = register.node
    node.submit(register.office.applicant, "right.disclose", {
        "office": "EM", "kind": "trademark", "number": "000000001", "data": MARK,
        "salt": SALT})
    assert _refresh(index, register) == 1  # only the right that changed
    assert _numbers(index, text="aurora brew", match="exact") == ["000000001", "000000002"]

    # An owner's new name reaches the index though no right record changed.
    node.submit(register.office.applicant, "party.update", {"name": "Nordlicht Kaffee AG"})
    assert _refresh(index, register) == 2
    assert _numbers(index, owner="nordlicht") == ["000000001", "000000002"]
    assert _numbers(index, owner="applicant") == []

    # Rebuilt from nothing, the index is the same (it is derived data).
    index.close()
    (tmp_path / "search.sqlite").unlink()
    again = RegisterIndex(tmp_path / "search.sqlite")
    _refresh(again, register)
    assert _numbers(again, owner="nordlicht kaffee") == ["000000001", "000000002"]


def test_criteria_combine(register: Register, tmp_path: Path) -> None:
    index = RegisterIndex(tmp_path / "search.sqlite")
    _refresh(index, register)
    assert _numbers(index, text="bre") == ["000000002"]  # contains, trigram index
    assert _numbers(index, text="ur") == ["000000002"]  # contains, shorter than a trigram
    assert _numbers(index, text="urora", match="prefix") == []
    assert _numbers(index, text="auro", match="prefix") == ["000000002"]
    assert _numbers(index, nice_class=32, status="filed", office="EM") == ["000000002"]
    assert _numbers(index, nice_class=33) == []
    assert _numbers(index, kind="patent") == []
    assert _numbers(index, text="a%") == []  # LIKE wildcards are literal


def test_text_keys_and_titles() -> None:
    assert text_key("  Café\tNOIR ") == text_key("cafe noir") == "cafe noir"
    assert text_key("ＡＵＲＯＲＡ") == "aurora"  # full-width forms
    assert title_of({"kind": "patent", "data": {"InventionTitle": "Valve"}}) == "Valve"
    assert title_of({"kind": "trademark", "data": {"MarkRepresentation": {}}}) == ""


@pytest.mark.parametrize(("params", "param"), [
    ({"limit": "0"}, "limit"), ({"q": " "}, "q"), ({"class": "46"}, "class"),
    ({"office": "ZZ"}, "office"), ({"kind": "car"}, "kind"), ({"status": "x"}, "status"),
    ({"nope": "1"}, "nope"), ({"proofs": "2"}, "proofs"), ({"match": "regex"}, "match"),
])
def test_bad_parameters_are_named(params: dict[str, str], param: str) -> None:
    with pytest.raises(SearchParamError) as info:
        parse_query(params)
    assert info.value.param == param


def test_good_parameters() -> None:
    query = parse_query({"q": "Aurora  Brew", "class": "30", "office": "EM", "limit": "5",
                         "proofs": "1", "match": "exact", "kind": "trademark"})
    assert query == SearchQuery(text="aurora brew", match="exact", nice_class=30,
                                office="EM", kind="trademark", limit=5, proofs=True)
