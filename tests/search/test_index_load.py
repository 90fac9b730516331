"""RegisterIndex.load: a bulk-filled index answers as one filled right by right."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipledger.search.fields import IndexedRight, text_key
from ipledger.search.index import RegisterIndex
from ipledger.search.query import SearchQuery
from ipledger.storage.side_index import write_transaction

TITLES = ("AURORA BREW", "BREW AURORA", "ORORA BRU", "HARBOUR LIGHT", "AURORA BREWING")


def _rights() -> list[tuple[str, IndexedRight]]:
    return [(f"right/EM/trademark/{n:09d}", IndexedRight(
        f"right/EM/trademark/{n:09d}", "EM", "trademark", f"{n:09d}", "registered", title,
        (f"P{n}",), (f"Owner {n} GmbH",), (30, 43) if n % 2 else (9,), f"2020-01-{n + 1:02d}"))
        for n, title in enumerate(TITLES)]


def _answers(index: RegisterIndex) -> list[list[tuple[str, str, float]]]:
    queries = [SearchQuery(text=text_key("Aurora Brew"), match=m)
               for m in ("similar", "fuzzy", "phonetic", "contains", "exact")]
    queries += [SearchQuery(owner=text_key("owner 3")), SearchQuery(nice_class=30),
                SearchQuery(text="aurora", nice_class=9, match="similar")]
    return [[(h.right.record_id, h.how, h.score) for h in index.search(q)] for q in queries]


def test_bulk_load_answers_as_right_by_right(tmp_path: Path) -> None:
    bulk = RegisterIndex(tmp_path / "bulk.sqlite")
    one_by_one = RegisterIndex(tmp_path / "each.sqlite")
    try:
        assert bulk.load(_rights(), 7, batch=2) == len(TITLES)
        with write_transaction(one_by_one._db) as db:
            for record_id, right in _rights():
                one_by_one._put(db, record_id, right)
        assert bulk.tree_size == 7 and bulk.count() == len(TITLES)
        answers = _answers(bulk)
        assert answers == _answers(one_by_one)
        assert answers[0][:2] == [("right/EM/trademark/000000000", "exact", 1.0),
                                  ("right/EM/trademark/000000004", "contains", 0.9393)]
        assert ("right/EM/trademark/000000001", "fuzzy", 0.75) in answers[0]
        with pytest.raises(ValueError, match="empty index"):
            bulk.load(_rights(), 8)
        assert bulk.tree_size == 7 and bulk.count() == len(TITLES)  # nothing changed
    finally:
        bulk.close()
        one_by_one.close()


def test_a_typo_with_trigrams_no_title_has_still_finds_the_mark(tmp_path: Path) -> None:
    index = RegisterIndex(tmp_path / "typo.sqlite")
    try:
        index.load(_rights(), 1)
        # "brx" and "rxw" are in no title, and the sound differs: only spelling finds it.
        hits = index.search(SearchQuery(text="aurora brxw", match="fuzzy"))
        assert [h.right.title for h in hits][:1] == ["AURORA BREW"]
        assert index.search(SearchQuery(text="qqqzzz", match="similar")) == []
    finally:
        index.close()
