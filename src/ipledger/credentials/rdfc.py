"""JSON-LD to RDFC-1.0 canonical N-Quads, offline, refusing terms no context defines.

pyld converts JSON-LD to an RDF dataset and labels its blank nodes with URDNA2015, which
RDFC-1.0 standardised unchanged (SHA-256, same steps). One difference is in the output
form: RDFC-1.0 writes literals in canonical N-Quads, where only ``"``, ``\\``, LF and CR
are escaped (``\\"``, ``\\\\``, ``\\n``, ``\\r``) and every other character, TAB included,
is written as itself; pyld also escapes TAB as ``\\t``. :func:`canonical_nquad` is the
canonical form, and pyld's canonicaliser is given it (the W3C rdf-canon test ``test060``
checks this, tests/credentials/test_rdfc.py).
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache
from pyld import canon, jsonld  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

from ipledger.credentials.loader import ContextError, OfflineLoader

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


class CanonicalizationError(ValueError):
    """The document is not JSON-LD that maps completely onto RDF with the known contexts."""


def _term(term: dict[str, Any]) -> str:
    if term["type"] == "IRI":
        return f"<{term['value']}>"
    if term["type"] == "blank node":
        return str(term["value"])
    literal = '"' + str(term["value"]).translate(_ESCAPES) + '"'
    if term.get("datatype") == RDF_LANGSTRING:
        return f"{literal}@{term['language']}"
    if term.get("datatype", XSD_STRING) != XSD_STRING:
        return literal + f"^^<{term['datatype']}>"
    return literal


def canonical_nquad(triple: dict[str, Any], graph_name: str | None = None) -> str:
    """One quad in RDFC-1.0 canonical N-Quads form, newline-terminated."""
    parts = [_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"])]
    name = triple.get("name", {"value": graph_name})["value"]
    if name is not None:
        parts.append(name if name.startswith("_:") else f"<{name}>")
    return " ".join(parts) + " .\n"


canon.serialize_nquad = canonical_nquad  # pyld's canonicaliser (module-level name) uses ours

_lock = threading.Lock()
_canon_lock = threading.Lock()
_loaders: dict[tuple[str, ...], tuple[OfflineLoader, Any]] = {}


def _resolver(loader: OfflineLoader) -> Any:
    """One context resolver (with its cache of processed contexts) per set of documents:
    processing the VC context is most of pyld's work, so it is done once per process."""
    key = tuple(sorted(loader.extra))
    with _lock:
        found = _loaders.get(key)
        if found is None or found[0].extra != loader.extra:
            found = _loaders[key] = (loader, ContextResolver(LRUCache(maxsize=100), loader))
        return found[1]


def to_dataset(document: dict[str, Any], loader: OfflineLoader | None = None) -> Any:
    """The RDF dataset of ``document``; a property or type no context defines is refused
    (JSON-LD would drop it silently, and a dropped value would not be signed)."""
    loader = loader or OfflineLoader()
    dropped: list[str] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=lambda p: dropped.append(str(p)))
    options = {"documentLoader": loader, "contextResolver": _resolver(loader),
               "base": "", "produceGeneralizedRdf": False}
    try:
        with _canon_lock:  # the resolvers' caches are shared and not thread-safe
            dataset = processor.to_rdf(document, options)
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ContextError):
                raise cause from None
            cause = cause.__cause__ or getattr(cause, "cause", None)
        raise CanonicalizationError(f"not valid JSON-LD: {exc}") from None
    if dropped:
        raise CanonicalizationError(
            f"terms not defined by the document's contexts: {', '.join(sorted(dropped))}")
    return dataset


def canonical_nquads(document: dict[str, Any], loader: OfflineLoader | None = None) -> str:
    """The RDFC-1.0 serialized canonical form of ``document``'s RDF dataset."""
    return canonicalize_dataset(to_dataset(document, loader))


def canonicalize_dataset(dataset: Any) -> str:
    """RDFC-1.0 over an RDF dataset in pyld's form."""
    return str(canon.URDNA2015().main(dataset, {"format": "application/n-quads"}))
