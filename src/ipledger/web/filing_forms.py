"""The filing forms: which fields each right type asks for, and where each goes in the
disclosed ST.96 content. Parsing turns the posted form into that content; the register's
own rules (``rights.check_content``, the ``right.file`` schema) judge it, and their
rejection's JSON Pointer is mapped back to the field it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ipledger.standards.st96.geographical_indication import GI_CATEGORIES, PRODUCT_CATEGORIES

_WORD = "/MarkRepresentation/MarkReproduction/WordMarkSpecification/MarkVerbalElementText"


@dataclass(frozen=True)
class FormField:
    """One input: ``name`` in the form, ``pointer`` into the content (JSON Pointer)."""

    name: str
    pointer: str
    widget: str = "text"  # text, textarea, number, date, list (comma separated), lines,
    #                       select, goods ("class: goods" lines)
    required: bool = False
    choices: tuple[str, ...] = ()
    blank: bool = True  # a select offers "none" (when not required)


FIELDS: dict[str, tuple[FormField, ...]] = {
    "trademark": (
        FormField("mark", _WORD, required=True),
        FormField("goods", "/GoodsServicesBag", "goods", required=True),
    ),
    "patent": (
        FormField("title", "/InventionTitle", required=True),
        FormField("ipc", "/IPCRClassificationBag", "list"),
        FormField("abstract", "/Abstract", "textarea"),
        FormField("claims", "/ClaimTotalQuantity", "number"),
    ),
    "utility_model": (
        FormField("title", "/InventionTitle", required=True),
        FormField("ipc", "/IPCRClassificationBag", "list"),
        FormField("abstract", "/Abstract", "textarea"),
    ),
    "industrial_design": (
        FormField("design_title", "/DesignTitle", required=True),
        FormField("locarno", "/ClassificationLocarno", "list", required=True),
        FormField("views", "/ViewQuantity", "number"),
    ),
    "copyright": (
        FormField("work_title", "/WorkTitle", required=True),
        FormField("work_category", "/WorkCategory", required=True),
        FormField("creation_date", "/CreationDate", "date"),
        FormField("authors", "/AuthorNameBag", "lines"),
    ),
    "geographical_indication": (
        FormField("gi_name", "/GeographicalIndicationName", required=True),
        FormField("product_category", "/ProductCategory", "select", True, PRODUCT_CATEGORIES),
        FormField("gi_category", "/GICategory", "select", False, GI_CATEGORIES),
        FormField("area", "/GeographicalArea", "textarea", required=True),
        FormField("origin", "/OriginCountryCode", required=True),
        FormField("features", "/FeatureDescriptionText", "textarea", required=True),
        FormField("language", "/ApplicationLanguageCode", required=True),
    ),
}
#: Constant content of a word mark filed online.
FIXED: dict[str, dict[str, Any]] = {
    "trademark": {"MarkRepresentation": {"MarkFeatureCategory": "Word"}},
}
#: The applicant and payment part, common to every form (pointers into the entry bodies).
APPLICANT_FIELDS = (
    FormField("office", "/right/office", "select", required=True),
    FormField("applicant", "/right/applicants/0", required=True),
    FormField("name", "/party/name"),
    FormField("country", "/party/country"),
    FormField("address", "/party/address"),
    FormField("party_kind", "/party/kind", "select", choices=("legal", "natural"), blank=False),
    FormField("card", "/payment", required=True),
)


class FormErrors(Exception):  # noqa: N818 - a set of messages for the form, not a bug
    """Field name -> message (``""``: the form as a whole)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def _put(target: dict[str, Any], pointer: str, value: Any) -> None:
    parts = pointer.strip("/").split("/")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def parse_content(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The content a form describes; FormErrors for what cannot even be read (a class that
    is not a number, an empty required field). The register checks the rest."""
    content: dict[str, Any] = _copy(FIXED.get(kind, {}))
    errors: dict[str, str] = {}
    for spec in FIELDS[kind]:
        raw = form.get(spec.name, "").strip()
        if not raw:
            if spec.required:
                errors[spec.name] = "required"
            continue
        try:
            value = _value(spec, raw)
        except ValueError as exc:
            errors[spec.name] = str(exc)
            continue
        _put(content, spec.pointer, value)
    if errors:
        raise FormErrors(errors)
    return content


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in value.items()}


def _value(spec: FormField, raw: str) -> Any:
    if spec.widget == "number":
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise ValueError("must be a whole number")
        return int(raw)
    if spec.widget == "list":  # commas, semicolons or lines (an IPC symbol has a space)
        return [x.strip() for x in raw.replace(";", ",").replace("\n", ",").split(",")
                if x.strip()]
    if spec.widget == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if spec.widget == "goods":
        return _goods(raw)
    return raw


def _goods(raw: str) -> list[dict[str, Any]]:
    """``30: Coffee; tea`` lines (any order) -> an ST.96 GoodsServicesBag."""
    bag = []
    for n, line in enumerate((x for x in raw.splitlines() if x.strip()), 1):
        number, sep, text = line.partition(":")
        number = number.strip()
        if not sep or not number.isascii() or not number.isdigit() or len(number) > 2:
            raise ValueError(f"line {n}: write the Nice class, a colon, then the goods "
                             "or services (e.g. 30: Coffee)")
        bag.append({"ClassNumber": int(number), "GoodsServicesDescriptionText": text.strip()})
    return sorted(bag, key=lambda g: g["ClassNumber"])  # ST.96 lists classes in order


def classes_of(kind: str, content: Mapping[str, Any]) -> list[int]:
    """The Nice classes a filing names (trademarks: those of its goods and services)."""
    if kind != "trademark":
        return []
    return sorted({g["ClassNumber"] for g in content.get("GoodsServicesBag", [])
                   if isinstance(g, Mapping) and isinstance(g.get("ClassNumber"), int)})


def field_for(kind: str, pointer: str) -> str:
    """The form field a rejection's pointer (into ``/body/data`` or the right.file body)
    names, by the longest matching prefix; ``""`` if none does."""
    candidates: list[tuple[str, str]] = []
    if pointer.startswith("/body/data"):
        rest = pointer[len("/body/data"):]
        candidates = [(f.pointer, f.name) for f in FIELDS[kind]]
        if kind == "trademark" and rest.startswith("/MarkRepresentation"):
            return "mark"
    else:
        rest = pointer
        candidates = [(f.pointer, f.name) for f in APPLICANT_FIELDS]
        candidates += [("/right/classes", "goods" if kind == "trademark" else ""),
                       ("/right/payment", "card")]
    best = ""
    best_len = -1
    for prefix, name in candidates:
        if (rest == prefix or rest.startswith(prefix + "/")) and len(prefix) > best_len:
            best, best_len = name, len(prefix)
    return best
