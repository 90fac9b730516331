"""Trademark records <-> WIPO ST.96 XML (export, XSD validation, import, safety)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ipledger.standards import StandardsError
from ipledger.standards.st96 import (
    COM_NS,
    TMK_NS,
    parse_xml,
    st96_schema_dir,
    trademark_from_st96_xml,
    trademark_to_st96_element,
    trademark_to_st96_xml,
    trademarks_to_st96_xml,
    validate_st96,
)
from tests.standards.conftest import fixture_bytes


def test_export_is_xsd_valid(sample: dict[str, Any], trademark_xsd: Any) -> None:
    xml = trademark_to_st96_xml(sample, "EM")
    root = etree.fromstring(xml)
    trademark_xsd.assertValid(root)
    assert root.tag == f"{{{TMK_NS}}}Trademark"
    assert root.nsmap == {"com": COM_NS, "tmk": TMK_NS}
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<tmk:Trademark ')


def test_export_is_deterministic(sample: dict[str, Any], trademark_xsd: Any) -> None:
    shuffled = dict(reversed(list(copy.deepcopy(sample).items())))
    assert trademark_to_st96_xml(sample, "EM") == trademark_to_st96_xml(shuffled, "EM")


def test_export_escapes_text(sample: dict[str, Any], trademark_xsd: Any) -> None:
    xml = trademark_to_st96_xml(sample, "EM")
    assert b"Repair of bridges &amp; &lt;tunnels&gt;" in xml
    assert "Brückenwerk GmbH".encode() in xml


def test_round_trip(sample: dict[str, Any], trademark_xsd: Any) -> None:
    assert trademark_from_st96_xml(trademark_to_st96_xml(sample, "EM")) == [sample]


def test_round_trip_minimal_gains_office(minimal: dict[str, Any], trademark_xsd: Any) -> None:
    [back] = trademark_from_st96_xml(trademark_to_st96_xml(minimal, "JP"))
    assert back == {**minimal, "RegistrationOfficeCode": "JP"}
    assert trademark_from_st96_xml(trademark_to_st96_xml(back, "JP")) == [back]


def test_bag_round_trip(
    sample: dict[str, Any], minimal: dict[str, Any], trademark_xsd: Any
) -> None:
    minimal["RegistrationOfficeCode"] = "EM"
    xml = trademarks_to_st96_xml([sample, minimal], "EM")
    assert etree.QName(etree.fromstring(xml)).localname == "TrademarkBag"
    assert trademark_from_st96_xml(xml) == [sample, minimal]


def test_bag_errors_name_the_record(sample: dict[str, Any], minimal: dict[str, Any]) -> None:
    del minimal["ApplicationDate"]
    with pytest.raises(StandardsError) as err:
        trademarks_to_st96_xml([sample, minimal], "EM", validate=False)
    assert (err.value.pointer, err.value.rule) == ("/1/ApplicationDate", "required")
    with pytest.raises(StandardsError):
        trademarks_to_st96_xml([], "EM")


def test_export_rejects_invalid_record(sample: dict[str, Any]) -> None:
    sample["GoodsServicesBag"][0]["ClassNumber"] = 46
    with pytest.raises(StandardsError) as err:
        trademark_to_st96_xml(sample, "EM", validate=False)
    assert (err.value.pointer, err.value.rule) == ("/GoodsServicesBag/0/ClassNumber", "nice-class")


def test_export_office(sample: dict[str, Any]) -> None:
    with pytest.raises(StandardsError) as err:
        trademark_to_st96_xml(sample, "US", validate=False)
    assert err.value.rule == "office-mismatch"
    with pytest.raises(StandardsError) as err:
        trademark_to_st96_xml(sample, "E1", validate=False)
    assert err.value.rule == "st3-code"


def test_xsd_errors_are_standards_errors(minimal: dict[str, Any], trademark_xsd: Any) -> None:
    root = trademark_to_st96_element(minimal, "US")
    number = root.find(f"{{{COM_NS}}}ApplicationNumber")
    root.remove(number)
    with pytest.raises(StandardsError) as err:
        validate_st96(root, "Trademark_V6_0.xsd")
    assert err.value.rule == "st96-xsd"
    assert err.value.pointer.startswith("/tmk:Trademark")


# ---------------------------------------------------------------- fixtures / import


def test_v6_transaction_fixture_is_valid(transaction_xsd: Any) -> None:
    transaction_xsd.assertValid(parse_xml(fixture_bytes("tsdr_transaction_v6.xml")))


def test_import_v6_transaction(trademark_xsd: Any) -> None:
    [rec] = trademark_from_st96_xml(fixture_bytes("tsdr_transaction_v6.xml"))
    assert rec["RegistrationOfficeCode"] == "US"
    assert rec["ApplicationNumber"] == {"ApplicationNumberText": "90000001"}
    assert (rec["ApplicationDate"], rec["RegistrationDate"]) == ("2020-06-01", "2021-08-10")
    assert rec["MarkCurrentStatusCode"] == "700"
    assert [g["ClassNumber"] for g in rec["GoodsServicesBag"]] == [25, 35]
    owners = [a["OrganizationStandardName"] for a in rec["ApplicantBag"]]
    assert owners == ["Harbour Lantern Outfitters LLC", "Lighthouse Apparel Holdings Inc."]
    [assignment] = rec["AssignmentBag"]
    assert assignment["AssignorBag"][0]["OrganizationStandardName"] == owners[0]
    assert assignment["AssigneeBag"][0]["OrganizationStandardName"] == owners[1]
    assert assignment["AssignmentRecordedDate"] == "2023-02-10"
    dates = [e["MarkEventDate"] for e in rec["MarkEventBag"]]
    assert dates == sorted(dates) and rec["MarkEventBag"][-1]["MarkEventCode"] == "ASGN"
    # The imported record exports to valid V6_0 XML and comes back unchanged.
    assert trademark_from_st96_xml(trademark_to_st96_xml(rec, "US")) == [rec]


def test_import_uspto_style(transaction_xsd: Any, trademark_xsd: Any) -> None:
    data = fixture_bytes("tsdr_uspto_style.xml")
    assert not transaction_xsd.validate(parse_xml(data))  # older ST.96, as published
    [rec] = trademark_from_st96_xml(data)
    assert rec["ApplicationDate"] == "2018-06-20"  # time-zone offset dropped
    assert rec["GoodsServicesBag"] == [
        {
            "ClassNumber": 9,
            "GoodsServicesDescriptionText": (
                "Downloadable mobile applications for identifying wild plants"
            ),
        },
        {
            "ClassNumber": 42,
            "GoodsServicesDescriptionText": (
                "Providing temporary use of online non-downloadable software for botanical"
                " identification"
            ),
        },
    ]
    [owner] = rec["ApplicantBag"]
    assert owner["PersonFullName"] == "Marta Quill"  # EntityName of an INDIVIDUAL
    assert owner["PostalStructuredAddress"]["AddressLineText"] == ["77 Fern Lane"]
    assert rec["RepresentativeBag"] == [
        {"PersonFullName": "Owen Bracket", "CommentText": "Attorney of Record"}
    ]
    assert [e["MarkEventCode"] for e in rec["MarkEventBag"]] == ["NWAP", "NWOS", "R.PR"]
    assert "MarkFeatureCategory" not in rec["MarkRepresentation"]
    trademark_xsd.assertValid(etree.fromstring(trademark_to_st96_xml(rec, "US")))


def test_import_legacy_namespace(trademark_xsd: Any) -> None:
    [rec] = trademark_from_st96_xml(fixture_bytes("tsdr_legacy_namespace.xml"))
    assert rec["ApplicationNumber"]["ApplicationNumberText"] == "75000003"
    assert rec["GoodsServicesBag"] == [
        {"ClassNumber": 30, "GoodsServicesDescriptionText": "tea; herbal infusions"}
    ]
    assert rec["ApplicantBag"][0]["OrganizationStandardName"] == "Copper Kettle Teas Ltd"
    # National MarkFeatureCategory text is not an ST.96 value: dropped, not guessed.
    assert rec["MarkRepresentation"] == {
        "MarkReproduction": {
            "WordMarkSpecification": {
                "MarkVerbalElementText": "COPPER KETTLE",
                "MarkStandardCharacterIndicator": False,
            }
        }
    }
    trademark_xsd.assertValid(etree.fromstring(trademark_to_st96_xml(rec, "US")))


def test_import_rejects_non_nice_class() -> None:
    data = fixture_bytes("tsdr_uspto_style.xml")
    tail = b"</ns2:ClassNumber>\n        <ns2:GoodsServicesDescriptionText"
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(data.replace(b"042" + tail, b"046" + tail))
    assert (err.value.pointer, err.value.rule) == (
        "/0/GoodsServicesBag/1/ClassNumber",
        "nice-class",
    )
    # A USPTO certification-mark class letter has no Nice class to map to.
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(data.replace(b"042" + tail, b"A" + tail))
    assert err.value.rule == "nice-class"
    assert err.value.pointer.endswith("ClassNumber")


def test_import_missing_required_element() -> None:
    data = fixture_bytes("tsdr_legacy_namespace.xml")
    start = data.index(b"<tmk:ApplicantBag>")
    end = data.index(b"</tmk:ApplicantBag>") + len(b"</tmk:ApplicantBag>")
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(data[:start] + data[end:])
    assert (err.value.pointer, err.value.rule) == ("/0/ApplicantBag", "empty")
    no_date = data.replace(b"<tmk:ApplicationDate>1996-03-11-05:00</tmk:ApplicationDate>", b"")
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(no_date)
    assert (err.value.pointer, err.value.rule) == ("/0/ApplicationDate", "required")


# ---------------------------------------------------------------- hostile / foreign input

_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<tmk:Trademark xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark">&lol2;</tmk:Trademark>
"""
_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<tmk:Trademark xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark">&xxe;</tmk:Trademark>
"""


@pytest.mark.parametrize("data", [_LAUGHS, _XXE])
def test_entities_are_refused(data: bytes) -> None:
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(data)
    assert err.value.rule in {"xml-dtd", "xml-syntax"}


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"<not-xml", "xml-syntax"),
        (b'<Trademark xmlns="urn:example:other"/>', "st96-namespace"),
        (b'<tmk:Design xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"/>',
         "st96-root"),
        (b'<tmk:TrademarkBag xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"/>',
         "st96-empty"),
    ],
)  # fmt: skip
def test_foreign_documents(data: bytes, rule: str) -> None:
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml(data)
    assert err.value.rule == rule


def test_input_must_be_bytes() -> None:
    with pytest.raises(StandardsError) as err:
        trademark_from_st96_xml("<x/>")  # type: ignore[arg-type]
    assert err.value.rule == "xml-type"


# ---------------------------------------------------------------- schema location


def test_schema_dir_default(st96_dir: Path) -> None:
    assert (st96_dir / "Trademark_V6_0.xsd").is_file()
    assert st96_dir.name == "st96-v6_0"


def test_schema_dir_env(monkeypatch: pytest.MonkeyPatch, st96_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("IPLEDGER_ST96_DIR", str(st96_dir))
    assert st96_schema_dir() == st96_dir
    monkeypatch.setenv("IPLEDGER_ST96_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        st96_schema_dir()
