"""Search quality of ``match=similar`` on the labelled trade-mark conflicts
(``data/trademark_conflicts.json``, see ``data/README.md``): precision@10 and recall@10.

``python -m tests.search.quality`` prints the figures (docs/benchmarks.md quotes them).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.search_corpus import mark

from ipledger.search.fields import IndexedRight, text_key
from ipledger.search.index import RegisterIndex
from ipledger.search.query import SearchQuery

DATA = Path(__file__).parent / "data" / "trademark_conflicts.json"
BACKGROUND = 20_000  # unrelated synthetic marks drawn (before those sharing a word are dropped)
K = 10


@dataclass(frozen=True)
class Quality:
    queries: int
    marks: int  # in the register searched
    precision: float  # mean over queries: conflicting / shown, of the first K shown
    strict_precision: float  # mean: conflicting among the first K / K
    recall: float  # mean: conflicting among the first K / conflicting labelled
    by_kind: dict[str, float]  # recall@K of each kind of conflict
    missed: list[tuple[str, str]]  # (query, conflicting mark) not in the first K
    intruders: list[tuple[str, str]]  # (query, non-conflicting mark) in the first K


def groups() -> list[dict[str, object]]:
    return list(json.loads(DATA.read_text("utf-8"))["groups"])


def _marks(labelled: list[str], query_words: set[str]) -> Iterator[tuple[str, IndexedRight]]:
    titles = list(labelled)
    titles += [m.title for m in map(mark, range(BACKGROUND))
               if not set(text_key(m.title).split()) & query_words]
    for n, title in enumerate(titles):
        record_id = f"right/EM/trademark/{n:09d}"
        yield record_id, IndexedRight(record_id, "EM", "trademark", f"{n:09d}", "registered",
                                      title, ("P1",), ("Owner",), (9,))


def measure(workdir: Path) -> Quality:
    gs = groups()
    labelled = [m for g in gs for m, _ in g["conflicting"]] + [  # type: ignore[attr-defined]
        m for g in gs for m in g["lookalike"]]  # type: ignore[attr-defined]
    words = {w for g in gs for w in text_key(str(g["query"])).split()}
    index = RegisterIndex(workdir / "quality.sqlite")
    try:
        size = index.load(_marks(labelled, words), 1)
        precision = strict = recall = 0.0
        found_kind: dict[str, list[int]] = {}
        missed, intruders = [], []
        for g in gs:
            conflicting = {text_key(m): kind for m, kind in g["conflicting"]}  # type: ignore[attr-defined]
            lookalikes = {text_key(m) for m in g["lookalike"]}  # type: ignore[attr-defined]
            hits = index.search(SearchQuery(text=text_key(str(g["query"])), match="similar",
                                            limit=K))
            shown = [h.sort_key for h in hits]
            good = [t for t in shown if t in conflicting]
            precision += len(good) / len(shown) if shown else 0.0
            strict += len(good) / K
            recall += len(set(good)) / len(conflicting)
            for title, kind in conflicting.items():
                found_kind.setdefault(kind, []).append(title in shown)
                if title not in shown:
                    missed.append((str(g["query"]), title))
            intruders += [(str(g["query"]), t) for t in shown if t in lookalikes]
    finally:
        index.close()
    n = len(gs)
    return Quality(n, size, precision / n, strict / n, recall / n,
                   {k: sum(v) / len(v) for k, v in sorted(found_kind.items())},
                   missed, intruders)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        q = measure(Path(tmp))
    print(f"{q.queries} queries, {q.marks} marks: precision@{K} {q.precision:.3f}, "
          f"strict precision@{K} {q.strict_precision:.3f}, recall@{K} {q.recall:.3f}")
    print("recall@10 by kind:", {k: round(v, 2) for k, v in q.by_kind.items()})
    if "-v" in sys.argv:
        print("missed:", q.missed)
        print("non-conflicting look-alikes shown:", q.intruders)


if __name__ == "__main__":
    main()
