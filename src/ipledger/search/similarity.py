"""Verbal similarity of marks: exact, contains, fuzzy (edit distance) and phonetic, scored.

Both sides are :func:`~ipledger.search.fields.text_key` forms. The phonetic key is our
own English-leaning sound code (in the spirit of Soundex and Metaphone, simpler than
either): each word keeps its first sound, then its consonant sounds, with letters that
sound alike folded together (``C``/``K``/``Q``, ``PH``/``F``, ``Z``/``S`` ...) and
vowels, ``H``, ``W``, ``Y`` and doubled sounds dropped; so ``AURORA BREW`` and
``ORORA BRU`` share the key ``ARR BR``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# Scores of each kind of match; a fuzzy match scores its similarity times FUZZY.
EXACT, CONTAINS, PHONETIC, FUZZY = 1.0, 0.9, 0.8, 0.75
MIN_FUZZY = 0.6  # similarity (1 - distance / longer length) below which no fuzzy match

_DIGRAPHS = (("PH", "F"), ("CK", "K"), ("SCH", "SK"), ("SH", "X"), ("CH", "X"), ("TH", "0"),
             ("GH", ""), ("KN", "N"), ("WR", "R"), ("QU", "K"), ("X", "KS"))
_FOLD = {"C": "K", "Q": "K", "Z": "S", "V": "F", "B": "B", "D": "T", "G": "K", "J": "X"}
_VOWELISH = set("AEIOUYHW")


def _word_key(word: str) -> str:
    w = "".join(c for c in word.upper() if c.isalnum())
    if not w:
        return ""
    for a, b in _DIGRAPHS:
        w = w.replace(a, b)
    # C before E, I, Y sounds like S; elsewhere like K (folded below).
    w = "".join("S" if c == "C" and w[i + 1:i + 2] in ("E", "I", "Y") else c
                for i, c in enumerate(w))
    if not w:
        return ""
    first = "A" if w[0] in _VOWELISH else _FOLD.get(w[0], w[0])
    out = [first]
    previous = first
    for c in w[1:]:
        if c in _VOWELISH:
            previous = ""
            continue
        sound = _FOLD.get(c, c)
        if sound != previous:
            out.append(sound)
        previous = sound
    return "".join(out)


def phonetic_key(text: str) -> str:
    """The sound code of each word of ``text``, space separated ("" for no letters)."""
    return " ".join(k for k in (_word_key(w) for w in text.split()) if k)


def distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insertions, deletions, substitutions) between ``a`` and ``b``;
    with ``limit``, any distance above it is reported as ``limit + 1``.

    Bit-parallel (Myers 1999, in Hyyrö's form for edit distance): one column of the
    distance matrix is a pair of integers, so each letter of ``b`` costs a few integer
    operations instead of a loop over ``a``.
    """
    if len(a) < len(b):
        a, b = b, a
    cap = len(a) if limit is None else limit
    if len(a) - len(b) > cap:
        return cap + 1
    if not b:
        return min(len(a), cap + 1)
    # b (the shorter) is the pattern: bit i of masks[c] says b[i] == c.
    masks: dict[str, int] = {}
    for i, c in enumerate(b):
        masks[c] = masks.get(c, 0) | 1 << i
    full = (1 << len(b)) - 1
    last = 1 << (len(b) - 1)
    up, down, dist = full, 0, len(b)  # vertical +1 / -1 deltas of the current column
    for c in a:
        match = masks.get(c, 0)
        x = match | down
        diagonal = (((match & up) + up) ^ up) | x
        right = down | (~(diagonal | up) & full)
        left = up & diagonal
        if right & last:
            dist += 1
        elif left & last:
            dist -= 1
        right = ((right << 1) | 1) & full
        left = (left << 1) & full
        up = left | (~(diagonal | right) & full)
        down = right & diagonal
    return min(dist, cap + 1)


def ratio(a: str, b: str) -> float:
    """1 - distance / length of the longer string (1.0 for equal strings)."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - distance(a, b) / longest


@dataclass(frozen=True)
class Similarity:
    score: float  # 0..1, higher is closer
    how: str  # "exact", "contains", "phonetic" or "fuzzy"


def letters_apart(a: str, b: str) -> int:
    """A lower bound of ``distance(a, b)``: each edit mends at most one letter that one
    side has more of than the other (whatever the order of letters or words)."""
    surplus = Counter(a)
    surplus.subtract(b)
    more = sum(n for n in surplus.values() if n > 0)
    return max(more, more - sum(surplus.values()))


def best_possible(query: str, title: str, modes: frozenset[str], query_sound: str,
                  title_sound: str) -> float:
    """An upper bound of ``similarity(...).score`` (0.0: certainly no match), cheap to
    compute: ranking scores only the titles whose bound can still reach the best ones."""
    if not query:
        return 0.0
    if "exact" in modes and title == query:
        return EXACT
    if "contains" in modes and query in title:
        # A query inside the title is that many insertions away: the score needs no matrix.
        return round(CONTAINS + 0.05 * len(query) / len(title), 4)
    longest = max(len(query), len(title))
    closest = 1 - letters_apart(query, title) / longest  # ratio() can be no higher
    if "phonetic" in modes and query_sound and query_sound == title_sound:
        return PHONETIC + 0.05 * closest + 1e-4
    if "fuzzy" in modes and closest >= MIN_FUZZY - 1e-9:
        return FUZZY * closest + 1e-4
    return 0.0


def similarity(query: str, title: str, modes: frozenset[str], query_sound: str | None = None,
               title_sound: str | None = None) -> Similarity | None:
    """How closely ``title`` matches ``query`` under the allowed ``modes`` (None: no match).

    The best allowed kind wins; within a kind, a closer spelling ranks first (a small
    bonus). The phonetic keys may be given when already known.
    """
    if not query:
        return None
    if "exact" in modes and title == query:
        return Similarity(EXACT, "exact")
    if "contains" in modes and query in title:  # distance: the letters added around it
        return Similarity(round(CONTAINS + 0.05 * len(query) / len(title), 4), "contains")
    if "phonetic" in modes:
        sound = phonetic_key(query) if query_sound is None else query_sound
        if sound and sound == (phonetic_key(title) if title_sound is None else title_sound):
            return Similarity(round(PHONETIC + 0.05 * ratio(query, title), 4), "phonetic")
    if "fuzzy" in modes:
        longest = max(len(query), len(title))
        allowed = int(longest * (1 - MIN_FUZZY) + 1e-9)
        apart = distance(query, title, allowed)
        if apart and query.count(" ") == title.count(" ") > 0:  # words in another order
            in_order = " ".join(sorted(query.split())), " ".join(sorted(title.split()))
            if in_order != (query, title):
                apart = min(apart, distance(*in_order, limit=allowed))
        if apart <= allowed:
            return Similarity(round(FUZZY * (1 - apart / longest), 4), "fuzzy")
    return None
