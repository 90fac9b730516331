"""Where a right of an IP office has effect, as WIPO ST.3 country codes.

:func:`right_territory` is the one deterministic answer the register uses (licence territories
are checked against it):

* a **national office** (``US``, ``DE``, ``JP`` …): the state itself;
* a **regional office**: its member states, per :data:`REGIONAL_MEMBERS` below;
* an **international** filing or registration (``WO``, ``IB``): the designated states, when
  the caller knows them; without designations, nothing beyond the code itself;
* any other code (``XX`` "unknown", ``XN``/``XV`` search institutes, ``XU`` …): the code
  itself.

A right's own office code always stands for the whole of that territory (``EM`` on an EU
trade mark), so callers accept it next to the states.

Regional membership (:data:`TERRITORY_AS_OF`; members only, by their ST.3 codes):

====  ================================  ==================================================
code  office                            states where its rights can have effect
====  ================================  ==================================================
EM    EUIPO (EU trade marks, designs)   the 27 EU member states (EUTMR Art. 1(2),
                                        CDR Art. 1(3): unitary effect in the Union)
EU    European Union                    the same 27 states
QZ    CPVO (Community plant varieties)  the same 27 states (Reg. 2100/94 Art. 2)
EP    EPO (European patents)            the 39 EPC contracting states, the extension state
                                        BA and the validation states MA, MD, TN, KH, GE
                                        (Georgia since 2024-01-15); a European patent has
                                        effect only where validated, so this is the bound
BX    BOIP (Benelux marks and designs)  BE, LU, NL
OA    OAPI (Bangui Agreement)           its 17 member states
AP    ARIPO (Lusaka Agreement)          its 22 member states (which protocol, Harare for
                                        patents and designs or Banjul for marks, a state
                                        has joined is not told apart)
EA    EAPO (Eurasian Patent Convention) AM, AZ, BY, KG, KZ, RU, TJ, TM
GC    GCC Patent Office                 AE, BH, KW, OM, QA, SA
====  ================================  ==================================================

Every code in the table is a current ST.3 state code (checked at import). Changing the table
changes which licences the register accepts from then on; replaying an older log with a
narrower table refuses entries it once accepted, so extend it, never shrink it silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from ipledger.standards.st3 import is_st3_country, validate_st3, validate_st3_country

__all__ = [
    "INTERNATIONAL_CODES",
    "REGIONAL_MEMBERS",
    "TERRITORY_AS_OF",
    "right_territory",
]

TERRITORY_AS_OF: Final = "2025-06-01"
"""The date the regional membership table reflects."""


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EU: Final = _codes(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
)
_EPC: Final = _codes(
    "AL AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MC ME MK MT NL "
    "NO PL PT RO RS SE SI SK SM TR"
)
_EP_EXTENSION_VALIDATION: Final = _codes("BA MA MD TN KH GE")

REGIONAL_MEMBERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "EM": _EU,
    "EU": _EU,
    "QZ": _EU,
    "EP": _EPC | _EP_EXTENSION_VALIDATION,
    "BX": frozenset({"BE", "LU", "NL"}),
    "OA": _codes("BF BJ CF CG CI CM GA GN GQ GW KM ML MR NE SN TD TG"),
    "AP": _codes("BW CV GH GM KE LR LS MU MW MZ NA RW SC SD SL SO ST SZ TZ UG ZM ZW"),
    "EA": _codes("AM AZ BY KG KZ RU TJ TM"),
    "GC": _codes("AE BH KW OM QA SA"),
})
"""Regional office ST.3 code -> the ST.3 codes of the states where its rights have effect."""

INTERNATIONAL_CODES: Final = frozenset({"WO", "IB"})
"""Codes of international filings/registrations: their territory is their designations."""

for _code, _members in REGIONAL_MEMBERS.items():  # a typo in the table fails at import
    _bad = sorted(m for m in _members if not is_st3_country(m))
    if _bad:  # pragma: no cover - guards the table above
        raise AssertionError(f"REGIONAL_MEMBERS[{_code!r}] holds non-country codes {_bad}")


def right_territory(office: str, designations: Iterable[str] = ()) -> frozenset[str]:
    """The ST.3 codes of the states where a right of ``office`` has effect.

    ``designations`` (ST.3 state codes) is used only for international codes (``WO``,
    ``IB``); the register does not record designations yet, so such a right's territory is
    empty and only its own code names it. Raises ``StandardsError`` (``st3-code``,
    ``st3-country``) for an unknown office or designation.
    """
    code = validate_st3(office, "/office")
    if code in REGIONAL_MEMBERS:
        return REGIONAL_MEMBERS[code]
    if code in INTERNATIONAL_CODES:
        return frozenset(
            validate_st3_country(state, f"/designations/{i}")
            for i, state in enumerate(designations)
        )
    return frozenset({code})
