"""Locating, loading and applying the WIPO ST.96 V6_0 XML schemas; safe XML parsing."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Final

from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards.errors import StandardsError

__all__ = [
    "COM_NS",
    "ENV_VAR",
    "ST96_VERSION",
    "TMK_NS",
    "load_schema",
    "parse_xml",
    "st96_schema_dir",
    "validate_st96",
]

COM_NS: Final = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
TMK_NS: Final = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
ST96_VERSION: Final = "V6_0"
ENV_VAR: Final = "IPLEDGER_ST96_DIR"
_MARKER: Final = "Trademark_V6_0.xsd"
_RELATIVE: Final = Path("..") / "shared" / "data" / "st96-v6_0"
_MAX_XML_BYTES: Final = 64 * 1024 * 1024


def _repo_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / "pyproject.toml").is_file():
            return d
    return None


def st96_schema_dir() -> Path:
    """The directory of the ST.96 V6_0 XSDs.

    ``$IPLEDGER_ST96_DIR`` if set; otherwise ``../shared/data/st96-v6_0``
    relative to the repository root (the nearest parent of this file, or of
    the working directory, that holds ``pyproject.toml``).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not (path / _MARKER).is_file():
            raise FileNotFoundError(f"${ENV_VAR}={env!r} does not contain {_MARKER}")
        return path.resolve()
    tried: list[str] = []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        root = _repo_root(start)
        if root is None:
            continue
        path = (root / _RELATIVE).resolve()
        if (path / _MARKER).is_file():
            return path
        tried.append(str(path))
    raise FileNotFoundError(
        f"ST.96 V6_0 schemas not found (tried {tried or 'no repository root'}); set ${ENV_VAR}"
    )


@functools.lru_cache(maxsize=8)
def _load(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.XMLSchema(etree.parse(path, parser))


def load_schema(name: str = "Trademark_V6_0.xsd") -> etree.XMLSchema:
    """The compiled schema ``name`` from ``st96_schema_dir()``, cached per process."""
    return _load(str(st96_schema_dir() / name))


def validate_st96(doc: etree._Element | etree._ElementTree, schema: str) -> None:
    """Validate against ST.96 schema file ``schema``; raise ``StandardsError`` (``st96-xsd``)."""
    xsd = load_schema(schema)
    if not xsd.validate(doc):
        err = xsd.error_log[0]
        raise StandardsError("st96-xsd", f"{schema}: {err.message}", err.path or "")


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD, no entity expansion, no network, bounded size."""
    if not isinstance(data, bytes | bytearray):
        raise StandardsError("xml-type", "XML input must be bytes")
    if len(data) > _MAX_XML_BYTES:
        raise StandardsError("xml-size", f"XML document larger than {_MAX_XML_BYTES} bytes")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        raise StandardsError("xml-syntax", str(exc)) from None
    if root is None:
        raise StandardsError("xml-syntax", "empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StandardsError("xml-dtd", "documents with a DOCTYPE are refused")
    return root
