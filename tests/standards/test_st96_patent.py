"""Patent / utility-model records <-> WIPO ST.96 ``pat:BibliographicData`` XML."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from ipledger.standards import StandardsError
from ipledger.standards.st96 import COM_NS, st96_schema_dir
from ipledger.standards.st96.patent import (
    LEGAL_STATUS_SCHEMA,
    PAT_NS,
    ST27_STATUS,
    patent_from_st96_xml,
    patent_legal_status_from_st96_xml,
    patent_legal_status_to_st96_xml,
    patent_to_st96_xml,
)

FULL: dict[str, Any] = {
    "office": "DE",
    "kind": "patent",
    "number": "10 2023 123 456.7",
    "filing_date": "2023-03-01",
    "registration_date": "2024-06-05",
    "grant_number": "10 2023 123 456",
    "status": "granted",
    "applicants": [
        {
            "OrganizationStandardName": "Kaffee & <Brüh> GmbH",
            "PostalAddressText": ["Hafenstraße 5", "20457 Hamburg"],
            "IncorporationCountryCode": "DE",
        },
        {"PersonFullName": "Ana Ionescu", "NationalityCode": "RO"},
        {
            "PersonFullName": "Jean Dupont",
            "PostalStructuredAddress": {
                "AddressLineText": ["1 rue de la Paix"],
                "CityName": "Paris",
                "CountryCode": "FR",
                "PostalCode": "75002",
            },
        },
    ],
    "data": {
        "InventionTitle": "Brühvorrichtung für Kaffeemaschinen",
        "IPCRClassificationBag": ["A47J 31/44", "A47J 31/00"],
        "Abstract": "A brewing unit with a removable piston.",
        "ClaimTotalQuantity": 12,
        "PriorityBag": [
            {
                "PriorityCountryCode": "EP",
                "ApplicationNumberText": "22123456.7",
                "PriorityApplicationFilingDate": "2022-03-02",
            },
            {
                "PriorityCountryCode": "US",
                "ApplicationNumberText": "17/123,456",
                "PriorityApplicationFilingDate": "2022-04-15",
            },
        ],
    },
}

MINIMAL: dict[str, Any] = {
    "office": "JP",
    "kind": "patent",
    "number": "2024-000001",
    "filing_date": "2024-01-02",
    "status": "filed",
    "applicants": [{"PersonFullName": "A. N. Applicant"}],
    "data": {"InventionTitle": "Widget"},
}

UTILITY_MODEL: dict[str, Any] = {
    "office": "CN",
    "kind": "utility_model",
    "number": "202320123456.7",
    "filing_date": "2023-05-06",
    "registration_date": "2023-11-10",
    "grant_number": "CN 219876543 U",
    "status": "registered",
    "applicants": [{"OrganizationStandardName": "Shenzhen Widget Co., Ltd."}],
    "data": {
        "InventionTitle": "Foldable phone stand",
        "IPCRClassificationBag": ["F16M 11/04"],
        "PriorityBag": [
            {
                "PriorityCountryCode": "TW",
                "ApplicationNumberText": "112201234",
                "PriorityApplicationFilingDate": "2023-01-09",
            }
        ],
    },
}


def _exported(record: dict[str, Any]) -> dict[str, Any]:
    """What survives the round trip: no status, no abstract."""
    out = copy.deepcopy(record)
    out.pop("status", None)
    out.pop("status_date", None)
    out["data"].pop("Abstract", None)
    return out


@pytest.fixture(scope="module")
def patent_xsd() -> Any:
    """PatentPublication_V6_0.xsd compiled directly with lxml (independent of schema.py)."""
    try:
        directory: Path = st96_schema_dir()
    except FileNotFoundError as exc:  # pragma: no cover - depends on the checkout
        pytest.skip(str(exc))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(directory / "PatentPublication_V6_0.xsd"), parser))


@pytest.mark.parametrize("record", [FULL, MINIMAL, UTILITY_MODEL], ids=["full", "minimal", "um"])
def test_export_is_xsd_valid(record: dict[str, Any], patent_xsd: Any) -> None:
    xml = patent_to_st96_xml(record)
    root = etree.fromstring(xml)
    patent_xsd.assertValid(root)
    assert root.tag == f"{{{PAT_NS}}}BibliographicData"
    assert root.nsmap == {"com": COM_NS, "pat": PAT_NS}
    assert root.get(f"{{{COM_NS}}}st96Version") == "V6_0"
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<pat:BibliographicData ')


def test_unvalidated_export_is_the_same(patent_xsd: Any) -> None:
    assert patent_to_st96_xml(FULL, validate=False) == patent_to_st96_xml(FULL)


def test_full_export_content(patent_xsd: Any) -> None:
    root = etree.fromstring(patent_to_st96_xml(FULL))
    ns = {"pat": PAT_NS, "com": COM_NS}
    assert root.xpath("string(pat:ApplicationIdentification/pat:FilingDate)", namespaces=ns) == (
        "2023-03-01"
    )
    assert root.xpath("string(pat:PatentGrantIdentification/pat:GrantDate)", namespaces=ns) == (
        "2024-06-05"
    )
    assert root.xpath(
        "pat:PatentClassificationBag/pat:IPCRClassificationBag/pat:IPCRClassification"
        "/pat:PatentClassificationText/text()",
        namespaces=ns,
    ) == ["A47J 31/44", "A47J 31/00"]
    assert root.xpath("string(pat:ClaimTotalQuantity)", namespaces=ns) == "12"
    assert root.xpath("string(pat:PlainLanguageDesignationText)", namespaces=ns) == "Patent"
    assert len(root.xpath("pat:PartyBag/pat:ApplicantBag/pat:Applicant", namespaces=ns)) == 3
    xml = patent_to_st96_xml(FULL)
    assert b"Kaffee &amp; &lt;Br\xc3\xbch&gt; GmbH" in xml
    assert b"Abstract" not in xml  # not carried by BibliographicData
    assert b"granted" not in xml


@pytest.mark.parametrize("record", [FULL, MINIMAL, UTILITY_MODEL], ids=["full", "minimal", "um"])
def test_round_trip(record: dict[str, Any], patent_xsd: Any) -> None:
    back = patent_from_st96_xml(patent_to_st96_xml(record))
    assert back == _exported(record)
    assert patent_to_st96_xml(back) == patent_to_st96_xml(record)


def test_utility_model_designation(patent_xsd: Any) -> None:
    xml = patent_to_st96_xml(UTILITY_MODEL)
    assert (
        b"<pat:PlainLanguageDesignationText>Utility model</pat:PlainLanguageDesignationText>" in xml
    )
    assert patent_from_st96_xml(xml)["kind"] == "utility_model"
    assert xml != patent_to_st96_xml({**UTILITY_MODEL, "kind": "patent"})


def test_utility_model_has_no_claim_count() -> None:
    record = copy.deepcopy(UTILITY_MODEL)
    record["data"]["ClaimTotalQuantity"] = 3
    with pytest.raises(StandardsError) as info:
        patent_to_st96_xml(record, validate=False)
    assert info.value.pointer == "/data/ClaimTotalQuantity"


def test_export_is_deterministic(patent_xsd: Any) -> None:
    shuffled = dict(reversed(list(copy.deepcopy(FULL).items())))
    shuffled["data"] = dict(reversed(list(shuffled["data"].items())))
    shuffled["applicants"] = [dict(reversed(list(p.items()))) for p in shuffled["applicants"]]
    first = patent_to_st96_xml(FULL)
    assert patent_to_st96_xml(FULL) == first
    assert patent_to_st96_xml(shuffled) == first


def test_order_of_lists_is_kept(patent_xsd: Any) -> None:
    record = copy.deepcopy(FULL)
    record["applicants"].reverse()
    back = patent_from_st96_xml(patent_to_st96_xml(record))
    assert [p.get("PersonFullName") for p in back["applicants"]] == [
        "Jean Dupont",
        "Ana Ionescu",
        None,
    ]


@pytest.mark.parametrize(
    ("change", "rule", "pointer"),
    [
        (lambda r: r.update(office="de"), "st3-code", "/office"),
        (lambda r: r.update(kind="trademark"), "kind", "/kind"),
        (lambda r: r.update(filing_date="2023-02-30"), "date", "/filing_date"),
        (lambda r: r.pop("grant_number"), "st96-unmappable", "/registration_date"),
        (lambda r: r.update(applicants=[]), "type", "/applicants"),
        (lambda r: r["applicants"][0].update(CommentText="x"), "st96-unmappable",
         "/applicants/0/CommentText"),
        (lambda r: r["applicants"][1].update(OrganizationStandardName="X"), "party-name",
         "/applicants/1"),
        (lambda r: r["data"].pop("InventionTitle"), "required", "/data/InventionTitle"),
        (lambda r: r["data"].update(IPCRClassificationBag=["A47J31/44"]), "ipc-symbol",
         "/data/IPCRClassificationBag/0"),
        (lambda r: r["data"]["PriorityBag"][0].update(PriorityCountryCode="ZZ"), "st3-code",
         "/data/PriorityBag/0/PriorityCountryCode"),
        (lambda r: r["data"].update(ClaimTotalQuantity=True), "type", "/data/ClaimTotalQuantity"),
        (lambda r: r.update(extra=1), "unknown-member", "/extra"),
    ],
)  # fmt: skip
def test_invalid_records_are_refused(change: Any, rule: str, pointer: str) -> None:
    record = copy.deepcopy(FULL)
    change(record)
    with pytest.raises(StandardsError) as info:
        patent_to_st96_xml(record, validate=False)
    assert (info.value.rule, info.value.pointer) == (rule, pointer)


def test_import_refuses_other_documents(patent_xsd: Any) -> None:
    with pytest.raises(StandardsError) as info:
        patent_from_st96_xml(b'<x:Trademark xmlns:x="urn:other"/>')
    assert info.value.rule == "st96-namespace"
    with pytest.raises(StandardsError) as info:
        patent_from_st96_xml(f'<pat:Claims xmlns:pat="{PAT_NS}"/>'.encode())
    assert info.value.rule == "st96-root"
    xml = patent_to_st96_xml(MINIMAL).replace(b">Patent<", b">Design<")
    with pytest.raises(StandardsError) as info:
        patent_from_st96_xml(xml)
    assert info.value.rule == "kind"


# --------------------------------------------------------------------------- legal status


@pytest.fixture(scope="module")
def legal_status_xsd() -> Any:
    """Patent_V6_0.xsd (pat:PatentLegalStatus) compiled directly with lxml."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(st96_schema_dir() / LEGAL_STATUS_SCHEMA), parser))


def _status_codes(root: Any) -> list[str]:
    code = root.find(f".//{{{PAT_NS}}}StatusEventCode")
    return [el.text for el in code]


def test_the_status_stays_out_of_bibliographic_data_but_status_date_is_accepted() -> None:
    record = {**copy.deepcopy(FULL), "status_date": "2024-06-05"}
    assert patent_to_st96_xml(record) == patent_to_st96_xml(FULL)
    with pytest.raises(StandardsError) as info:
        patent_to_st96_xml({**record, "status_date": "5 June 2024"}, validate=False)
    assert (info.value.rule, info.value.pointer) == ("date", "/status_date")


@pytest.mark.parametrize("state", [*ST27_STATUS, "something_new"])
def test_legal_status_is_st27_valid_against_the_xsd(state: str, legal_status_xsd: Any) -> None:
    record = {**copy.deepcopy(FULL), "status": state, "status_date": "2025-02-03"}
    xml = patent_legal_status_to_st96_xml(record)
    root = etree.fromstring(xml)
    legal_status_xsd.assertValid(root)
    assert root.tag == f"{{{PAT_NS}}}PatentLegalStatus"
    st27 = ST27_STATUS.get(state, ("U", "0", "W10", "W00"))
    assert _status_codes(root) == [st27[0], "0", st27[1], st27[2], st27[3], state]
    assert root.xpath("string(//com:EventDate)", namespaces={"com": COM_NS}) == "2025-02-03"
    assert root.xpath("string(com:IPRightKindCategory)", namespaces={"com": COM_NS}) == (
        "Patent for invention")
    back = patent_legal_status_from_st96_xml(xml)
    assert back == {"office": "DE", "kind": "patent", "number": FULL["number"],
                    "filing_date": FULL["filing_date"], "grant_number": FULL["grant_number"],
                    "registration_date": FULL["registration_date"], "status": state,
                    "status_date": "2025-02-03"}
    assert patent_legal_status_to_st96_xml(record, validate=False) == xml


def test_legal_status_codes_follow_the_life_status() -> None:
    from ipledger.registry.lifecycle import LIFE_STATUS

    for state, (code, stage, key_event, detailed) in ST27_STATUS.items():
        assert detailed[0] == key_event[0]  # the detailed event is in the key event's category
        life = LIFE_STATUS[state]
        assert (code == "A") == (life != "ceased"), state
        assert (stage == "6") == (life == "ceased"), state


def test_every_patent_lifecycle_state_has_an_st27_status() -> None:
    from ipledger.registry.lifecycle import ABSENT, machine_for
    from ipledger.registry.profiles import load_profile

    checked = 0
    for name in ("generic", "uspto", "euipo"):
        profile = load_profile(name)
        for kind in ("patent", "utility_model"):
            if profile.rules(kind).supported:
                states = set(machine_for(profile, kind).states) - {ABSENT}
                assert states <= set(ST27_STATUS), (name, kind, states - set(ST27_STATUS))
                checked += 1
    assert checked >= 3


def test_legal_status_of_a_utility_model_and_of_a_filing(legal_status_xsd: Any) -> None:
    xml = patent_legal_status_to_st96_xml(UTILITY_MODEL | {"status_date": "2023-11-10"})
    root = etree.fromstring(xml)
    legal_status_xsd.assertValid(root)
    assert root.xpath("string(com:IPRightKindCategory)", namespaces={"com": COM_NS}) == (
        "Utility model")
    assert patent_legal_status_from_st96_xml(xml)["kind"] == "utility_model"
    # A filing's status date is its filing date; any other state needs status_date.
    back = patent_legal_status_from_st96_xml(patent_legal_status_to_st96_xml(MINIMAL))
    assert (back["status"], back["status_date"]) == ("filed", MINIMAL["filing_date"])
    assert "grant_number" not in back
    with pytest.raises(StandardsError) as info:
        patent_legal_status_to_st96_xml(FULL)
    assert (info.value.rule, info.value.pointer) == ("required", "/status_date")
    record = copy.deepcopy(MINIMAL)
    del record["status"]
    with pytest.raises(StandardsError) as info:
        patent_legal_status_to_st96_xml(record)
    assert (info.value.rule, info.value.pointer) == ("required", "/status")


def test_legal_status_reader_takes_the_latest_st27_event(legal_status_xsd: Any) -> None:
    """A document from another office: several events, no register state names."""
    record = {**copy.deepcopy(FULL), "status": "lapsed", "status_date": "2030-03-01"}
    root = etree.fromstring(patent_legal_status_to_st96_xml(record))
    bag = root.find(f"{{{PAT_NS}}}StatusEventDataBag")
    latest = bag[0]
    earlier = copy.deepcopy(latest)
    earlier.find(f".//{{{COM_NS}}}EventDate").text = "2024-06-05"
    code = earlier.find(f"{{{PAT_NS}}}StatusEventCode")
    for name, value in (("KeyEventCode", "F10"), ("DetailedEventCode", "F11")):
        code.find(f"{{{PAT_NS}}}{name}").text = value
    bag.append(earlier)  # listed after the later event
    for event in bag:
        national = event.find(f".//{{{PAT_NS}}}NationalEventCode")
        national.getparent().remove(national)
    legal_status_xsd.assertValid(root)
    back = patent_legal_status_from_st96_xml(etree.tostring(root))
    assert (back["status"], back["status_date"]) == ("lapsed", "2030-03-01")  # by H10/H13
    bag.remove(latest)
    back = patent_legal_status_from_st96_xml(etree.tostring(root))
    assert (back["status"], back["status_date"]) == ("granted", "2024-06-05")  # F10 only
    with pytest.raises(StandardsError) as info:
        patent_legal_status_from_st96_xml(patent_to_st96_xml(FULL))
    assert info.value.rule == "st96-root"
