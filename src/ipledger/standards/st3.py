"""WIPO Standard ST.3: two-letter codes for states, other entities and IGOs.

Source: WIPO ST.3, revision approved by the Committee on WIPO Standards (CWS)
at its seventh session on 5 July 2019 (published September 2019), exactly as
encoded in WIPO ST.96 V6_0 ``Common_V6_0.xsd`` (``com:WIPOST3CodeType``, 233
codes, and ``com:WIPOFormerST3CodeType`` for the historical codes of ST.3
Annex II). Using the schema's list keeps every code we accept valid in the
ST.96 documents we export. Names are the ST.3 short names of that revision.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ipledger.standards.errors import StandardsError

__all__ = [
    "ST3_CODES",
    "ST3_FORMER_CODES",
    "ST3_ORGANIZATION_CODES",
    "ST3_VERSION",
    "StandardsError",
    "is_st3_code",
    "is_st3_country",
    "st3_name",
    "validate_st3",
    "validate_st3_country",
]

ST3_VERSION: Final = "WIPO ST.3 (revision of 5 July 2019, CWS/7), as in ST.96 V6_0"

_CODES: Final[dict[str, str]] = {
    "AD": "Andorra",
    "AE": "United Arab Emirates",
    "AF": "Afghanistan",
    "AG": "Antigua And Barbuda",
    "AI": "Anguilla",
    "AL": "Albania",
    "AM": "Armenia",
    "AO": "Angola",
    "AP": "African Regional Intellectual Property Organization (ARIPO)",
    "AR": "Argentina",
    "AT": "Austria",
    "AU": "Australia",
    "AW": "Aruba",
    "AZ": "Azerbaijan",
    "BA": "Bosnia and Herzegovina",
    "BB": "Barbados",
    "BD": "Bangladesh",
    "BE": "Belgium",
    "BF": "Burkina Faso",
    "BG": "Bulgaria",
    "BH": "Bahrain",
    "BI": "Burundi",
    "BJ": "Benin",
    "BM": "Bermuda",
    "BN": "Brunei Darussalam",
    "BO": "Bolivia (Plurinational State of)",
    "BQ": "Bonaire, Sint Eustatius and Saba",
    "BR": "Brazil",
    "BS": "Bahamas",
    "BT": "Bhutan",
    "BV": "Bouvet Island",
    "BW": "Botswana",
    "BX": "Benelux Office for Intellectual Property (BOIP)",
    "BY": "Belarus",
    "BZ": "Belize",
    "CA": "Canada",
    "CD": "Democratic Republic of the Congo",
    "CF": "Central African Republic",
    "CG": "Congo",
    "CH": "Switzerland",
    "CI": "Côte D'Ivoire",
    "CK": "Cook Islands",
    "CL": "Chile",
    "CM": "Cameroon",
    "CN": "China",
    "CO": "Colombia",
    "CR": "Costa Rica",
    "CU": "Cuba",
    "CV": "Cabo Verde",
    "CW": "Curaçao",
    "CY": "Cyprus",
    "CZ": "Czech Republic",
    "DE": "Germany",
    "DJ": "Djibouti",
    "DK": "Denmark",
    "DM": "Dominica",
    "DO": "Dominican Republic",
    "DZ": "Algeria",
    "EA": "Eurasian Patent Organization (EAPO)",
    "EC": "Ecuador",
    "EE": "Estonia",
    "EG": "Egypt",
    "EH": "Western Sahara",
    "EM": "European Union Intellectual Property Office (EUIPO)",
    "EP": "European Patent Office (EPO)",
    "ER": "Eritrea",
    "ES": "Spain",
    "ET": "Ethiopia",
    "EU": "European Union",
    "FI": "Finland",
    "FJ": "Fiji",
    "FK": "Falkland Islands (Malvinas)",
    "FO": "Faroe Islands",
    "FR": "France",
    "GA": "Gabon",
    "GB": "United Kingdom",
    "GC": (
        "Patent Office of the Cooperation Council for the Arab States of the Gulf"
        " (GCC Patent Office)"
    ),
    "GD": "Grenada",
    "GE": "Georgia",
    "GG": "Guernsey",
    "GH": "Ghana",
    "GI": "Gibraltar",
    "GL": "Greenland",
    "GM": "Gambia",
    "GN": "Guinea",
    "GQ": "Equatorial Guinea",
    "GR": "Greece",
    "GS": "South Georgia and South Sandwich Islands",
    "GT": "Guatemala",
    "GW": "Guinea-Bissau",
    "GY": "Guyana",
    "HK": "Hong Kong, China",
    "HN": "Honduras",
    "HR": "Croatia",
    "HT": "Haiti",
    "HU": "Hungary",
    "IB": "International Bureau of the World Intellectual Property Organization (WIPO)",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IM": "Isle of Man",
    "IN": "India",
    "IQ": "Iraq",
    "IR": "Iran, Islamic Republic of",
    "IS": "Iceland",
    "IT": "Italy",
    "JE": "Jersey",
    "JM": "Jamaica",
    "JO": "Jordan",
    "JP": "Japan",
    "KE": "Kenya",
    "KG": "Kyrgyzstan",
    "KH": "Cambodia",
    "KI": "Kiribati",
    "KM": "Comoros",
    "KN": "Saint Kitts and Nevis",
    "KP": "Democratic People's Republic of Korea",
    "KR": "Republic of Korea",
    "KW": "Kuwait",
    "KY": "Cayman Islands",
    "KZ": "Kazakhstan",
    "LA": "Lao People's Democratic Republic",
    "LB": "Lebanon",
    "LC": "Saint Lucia",
    "LI": "Liechtenstein",
    "LK": "Sri Lanka",
    "LR": "Liberia",
    "LS": "Lesotho",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "LY": "Libya",
    "MA": "Morocco",
    "MC": "Monaco",
    "MD": "Republic of Moldova",
    "ME": "Montenegro",
    "MG": "Madagascar",
    "MK": "North Macedonia",
    "ML": "Mali",
    "MM": "Myanmar",
    "MN": "Mongolia",
    "MO": "Macao, China",
    "MP": "Northern Mariana Islands",
    "MR": "Mauritania",
    "MS": "Montserrat",
    "MT": "Malta",
    "MU": "Mauritius",
    "MV": "Maldives",
    "MW": "Malawi",
    "MX": "Mexico",
    "MY": "Malaysia",
    "MZ": "Mozambique",
    "NA": "Namibia",
    "NE": "Niger",
    "NG": "Nigeria",
    "NI": "Nicaragua",
    "NL": "Netherlands",
    "NO": "Norway",
    "NP": "Nepal",
    "NR": "Nauru",
    "NZ": "New Zealand",
    "OA": "African Intellectual Property Organization (OAPI)",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Peru",
    "PG": "Papua New Guinea",
    "PH": "Philippines",
    "PK": "Pakistan",
    "PL": "Poland",
    "PT": "Portugal",
    "PW": "Palau",
    "PY": "Paraguay",
    "QA": "Qatar",
    "QZ": "Community Plant Variety Office (European Community) (CPVO)",
    "RO": "Romania",
    "RS": "Serbia",
    "RU": "Russian Federation",
    "RW": "Rwanda",
    "SA": "Saudi Arabia",
    "SB": "Solomon Islands",
    "SC": "Seychelles",
    "SD": "Sudan",
    "SE": "Sweden",
    "SG": "Singapore",
    "SH": "Saint Helena, Ascension and Tristan da Cunha",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "SL": "Sierra Leone",
    "SM": "San Marino",
    "SN": "Senegal",
    "SO": "Somalia",
    "SR": "Suriname",
    "SS": "South Sudan",
    "ST": "Sao Tome and Principe",
    "SV": "El Salvador",
    "SX": "Sint Maarten (Dutch part)",
    "SY": "Syrian Arab Republic",
    "SZ": "Eswatini",
    "TC": "Turks and Caicos Islands",
    "TD": "Chad",
    "TG": "Togo",
    "TH": "Thailand",
    "TJ": "Tajikistan",
    "TL": "Timor-Leste",
    "TM": "Turkmenistan",
    "TN": "Tunisia",
    "TO": "Tonga",
    "TR": "Turkey",
    "TT": "Trinidad and Tobago",
    "TV": "Tuvalu",
    "TW": "Taiwan, Province of China",
    "TZ": "United Republic of Tanzania",
    "UA": "Ukraine",
    "UG": "Uganda",
    "US": "United States of America",
    "UY": "Uruguay",
    "UZ": "Uzbekistan",
    "VA": "Holy See",
    "VC": "Saint Vincent and the Grenadines",
    "VE": "Venezuela (Bolivian Republic of)",
    "VG": "British Virgin Islands",
    "VN": "Viet Nam",
    "VU": "Vanuatu",
    "WO": "World Intellectual Property Organization (WIPO) (International Bureau of)",
    "WS": "Samoa",
    "XN": "Nordic Patent Institute (NPI)",
    "XU": "International Union for the Protection of New Varieties of Plants (UPOV)",
    "XV": "Visegrad Patent Institute (VPI)",
    "XX": "Unknown states, other entities or organizations",
    "YE": "Yemen",
    "ZA": "South Africa",
    "ZM": "Zambia",
    "ZW": "Zimbabwe",
}

_FORMER: Final[dict[str, str]] = {
    "AN": "Netherlands Antilles",
    "CS": "Czechoslovakia",
    "DD": "German Democratic Republic",
    "DL": "German Democratic Republic",
    "DT": "Federal Republic of Germany",
    "RH": "Southern Rhodesia",
    "SU": "Soviet Union",
    "YD": "Democratic Yemen",
    "YU": "Yugoslavia/ Serbia and Montenegro",
}

ST3_CODES: Final = MappingProxyType(_CODES)
"""Current ST.3 codes (states, other entities, IGOs and ``XX``) and their names."""

ST3_FORMER_CODES: Final = MappingProxyType(_FORMER)
"""Codes no longer in use (ST.3 Annex II, as ST.96 keeps them), e.g. ``SU``."""

ST3_ORGANIZATION_CODES: Final = frozenset(
    {"AP", "BX", "EA", "EM", "EP", "EU", "GC", "IB", "OA", "QZ", "WO", "XN", "XU", "XV", "XX"}
)
"""ST.3 codes that are not ISO 3166-1 countries: IGOs/offices, ``EU`` and ``XX``."""


def is_st3_code(code: object, *, include_former: bool = False) -> bool:
    """True if ``code`` is a current ST.3 code (or a former one, if asked)."""
    if not isinstance(code, str):
        return False
    return code in _CODES or (include_former and code in _FORMER)


def is_st3_country(code: object) -> bool:
    """True if ``code`` is an ST.3 code for a state or territory (not an IGO/``XX``)."""
    return is_st3_code(code) and code not in ST3_ORGANIZATION_CODES


def st3_name(code: str) -> str:
    """The ST.3 short name of ``code``; raises ``KeyError`` for unknown codes."""
    if code in _CODES:
        return _CODES[code]
    if code in _FORMER:
        return _FORMER[code]
    raise KeyError(code)


def validate_st3(code: object, pointer: str = "", *, include_former: bool = False) -> str:
    """Return ``code`` if it is an ST.3 code, else raise ``StandardsError`` (rule ``st3-code``)."""
    if not is_st3_code(code, include_former=include_former):
        raise StandardsError("st3-code", f"{code!r} is not a WIPO ST.3 code", pointer)
    assert isinstance(code, str)
    return code


def validate_st3_country(code: object, pointer: str = "") -> str:
    """Like ``validate_st3`` but only states/territories (rule ``st3-country``)."""
    validate_st3(code, pointer)
    if code in ST3_ORGANIZATION_CODES:
        raise StandardsError(
            "st3-country", f"{code!r} is an organization code, not a country", pointer
        )
    assert isinstance(code, str)
    return code
