"""The web register's parts without a browser: catalogues, language negotiation, the
similarity measures and the search criteria the pages add."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from ipledger.registry.lifecycle import ALL_STATES
from ipledger.registry.profiles import RIGHT_KINDS
from ipledger.search.index import SCHEMA_VERSION, RegisterIndex
from ipledger.search.query import MATCHES, SearchParamError, parse_query
from ipledger.search.similarity import distance, phonetic_key, similarity
from ipledger.web.i18n import catalogues, negotiate
from ipledger.web.templating import TEMPLATES

ALL_MODES = frozenset({"exact", "contains", "fuzzy", "phonetic"})


REGISTER_TEMPLATES = ("base.html", "_search_form.html", "home.html", "search.html",
                      "right.html", "not_found.html")


def _keys_used(names: list[str]) -> set[str]:
    used: set[str] = set()
    for name in names:
        # Literal keys only (t('a.b') or t('a.b', x=...)), not computed ones (t('a.' ~ x)).
        used |= set(re.findall(r"\bt\('([a-z_.]+)'\s*[,)]", (TEMPLATES / name).read_text()))
    return used


def test_catalogues_cover_the_register_pages_in_every_language() -> None:
    shipped = catalogues()
    assert {"en", "ar", "fr"} <= set(shipped)
    assert shipped["ar"].direction == "rtl" and shipped["en"].direction == "ltr"
    english = shipped["en"].texts
    for code, catalogue in shipped.items():
        assert set(catalogue.texts) <= set(english), code  # English is the complete one
        for key, text in catalogue.texts.items():  # the same placeholders (any order)
            assert sorted(re.findall(r"{\w+}", text)) == sorted(
                re.findall(r"{\w+}", english[key])), (code, key)
    # The register's pages, with every status, kind and match label, in every language.
    register = _keys_used(list(REGISTER_TEMPLATES)) | {
        f"status.{s}" for s in ALL_STATES if s != "absent"} | {
        f"kind.{k}" for k in RIGHT_KINDS} | {f"match.{m}" for m in MATCHES}
    for code, catalogue in shipped.items():
        assert register <= set(catalogue.texts), (code, register - set(catalogue.texts))


@pytest.mark.parametrize(("asked", "header", "expected"), [
    ("ar", "fr", "ar"), (None, "fr-CA;q=0.8, ar;q=0.9", "ar"), (None, "de, fr;q=0.5", "fr"),
    (None, "de", "en"), ("xx", None, "en"), (None, "ar;q=0", "en"), (None, "fr;q=bad", "en")])
def test_language_negotiation(asked: str | None, header: str | None, expected: str) -> None:
    assert negotiate(asked, header).code == expected


def test_edit_distance_and_sound_keys() -> None:
    assert distance("kitten", "sitting") == 3  # the textbook example
    assert distance("", "abc") == 3 and distance("flaw", "lawn") == 2
    assert phonetic_key("aurora brew") == phonetic_key("orora bru") == "ARR BR"
    assert phonetic_key("phoenix") == phonetic_key("fenix")
    assert phonetic_key("kodak") == phonetic_key("codac")
    assert phonetic_key("harbour light") != phonetic_key("aurora brew")


def test_similarity_ranks_exact_then_contains_then_sound_then_spelling() -> None:
    titles = ["harbour light", "orora bru", "aurora brewing", "aurora brew", "aurora brw"]
    found = {t: similarity("aurora brew", t, ALL_MODES) for t in titles}
    assert found["harbour light"] is None
    ranked = sorted((s.score, t) for t, s in found.items() if s is not None)[::-1]
    assert [t for _, t in ranked] == ["aurora brew", "aurora brewing", "aurora brw",
                                      "orora bru"]
    assert [found[t].how for t in ("aurora brew", "aurora brewing", "aurora brw",  # type: ignore[union-attr]
                                    "orora bru")] == ["exact", "contains", "phonetic",
                                                      "phonetic"]
    assert similarity("aurora brew", "orora bru", frozenset({"exact", "fuzzy"})) is not None
    assert similarity("aurora brew", "aurora brewing", frozenset({"exact", "phonetic"})) is None


def test_dates_and_numbers_are_checked() -> None:
    query = parse_query({"filed_from": "2026-01-01", "filed_to": "2026-12-31",
                         "number": "000000001", "q": "Auróra", "match": "similar"})
    assert (query.filed_from, query.filed_to, query.number) == (
        "2026-01-01", "2026-12-31", "000000001")
    assert query.ranked and query.text == "aurora"
    for params, param in [({"filed_from": "2026-02-30"}, "filed_from"),
                          ({"filed_to": "26-1-1"}, "filed_to"),
                          ({"filed_from": "2027-01-01", "filed_to": "2026-01-01"}, "filed_to"),
                          ({"number": "1 OR 1"}, "number")]:
        with pytest.raises(SearchParamError) as err:
            parse_query(params)
        assert err.value.param == param


def test_an_index_of_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "own.sqlite"
    RegisterIndex(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '1' WHERE name = 'schema'")
    db.execute("INSERT INTO meta VALUES ('tree_size', '42')")
    db.commit()
    db.close()
    index = RegisterIndex(path)
    try:
        assert index.tree_size == 0  # rebuilt from the register at the next refresh
        assert index.count() == 0
        version = index._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        assert version == (SCHEMA_VERSION,)
    finally:
        index.close()
