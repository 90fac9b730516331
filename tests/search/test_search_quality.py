"""Search quality on labelled trade-mark conflicts, and the ranking shortcut's soundness."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from bench.search_corpus import mark

from ipledger.search.fields import text_key
from ipledger.search.query import RANKED
from ipledger.search.similarity import best_possible, distance, phonetic_key, similarity
from tests.search.quality import groups, measure

# Measured 2026-11-21 (tests/search/data/README.md): precision@10 0.720, recall@10 0.974.
# Floors a little below, so that a change that makes ranking worse fails here.
PRECISION_FLOOR = 0.70
RECALL_FLOOR = 0.95


def test_similar_ranking_finds_the_labelled_conflicts(tmp_path: Path) -> None:
    quality = measure(tmp_path)
    assert quality.queries == 30 and quality.marks > 15_000
    assert quality.precision >= PRECISION_FLOOR, quality
    assert quality.recall >= RECALL_FLOOR, quality.missed
    # Every kind of conflict in the set is found at least most of the time.
    assert all(recall >= 0.9 for kind, recall in quality.by_kind.items()
               if kind != "dominant-element"), quality.by_kind


def test_word_order_and_spelling_variants_are_ranked() -> None:
    modes = RANKED["similar"]
    swapped = similarity("kool kat", "kat kool", modes)
    assert swapped is not None and swapped.how == "fuzzy" and swapped.score == 0.75
    assert similarity("kool kat", "cat walk", modes) is None


def test_best_possible_bounds_every_score() -> None:
    """Ranking scores only the titles whose bound can reach the best ones: the bound must
    never be below the score, or a better title could be left out."""
    titles = [text_key(m) for g in groups() for m, _ in g["conflicting"]]  # type: ignore[attr-defined]
    titles += [text_key(m.title) for m in map(mark, range(100))]
    queries = [text_key(str(g["query"])) for g in groups()] + titles[:40]
    checked = 0
    for (query, title), modes in itertools.product(itertools.product(queries, titles),
                                                   RANKED.values()):
        qs, ts = phonetic_key(query), phonetic_key(title)
        found = similarity(query, title, modes, qs, ts)
        bound = best_possible(query, title, modes, qs, ts)
        if found is not None:
            checked += 1
            assert bound >= found.score, (query, title, modes, bound, found)
    assert checked > 500


def _levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme, to check the bit-parallel one against."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ca != cb))
    return row[-1]


def test_distance_is_levenshtein() -> None:
    rng = random.Random(5)
    for _ in range(5_000):
        a = "".join(rng.choice("abc dé") for _ in range(rng.randrange(15)))
        b = "".join(rng.choice("abc dé") for _ in range(rng.randrange(15)))
        expected = _levenshtein(a, b)
        assert distance(a, b) == expected, (a, b)
        limit = rng.randrange(8)
        assert distance(a, b, limit) == min(expected, limit + 1), (a, b, limit)
    assert distance("kitten", "sitting") == 3
    assert distance("", "abc") == 3
    assert distance("flaw", "lawn") == 2
