"""Office profiles: the terms, periods, fees and number formats one IP office applies.

A profile is a TOML file (``registry/profiles/*.toml``) validated strictly into a frozen
:class:`OfficeProfile`: every key is known, every value has the documented type, every error
names the key path. Fees are integers in the currency's minor unit; periods are ISO 8601
calendar durations (``"P10Y"``, ``"P3Y6M"``, ``"P30D"``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ipledger.registry.calendar import Duration, parse_duration, parse_iso_date

__all__ = [
    "FEE_NAMES",
    "GAZETTE_PERIODS",
    "ISO_4217_MINOR_UNITS",
    "RIGHT_KINDS",
    "SCHEMA_VERSION",
    "STEPS",
    "TERM_ANCHORS",
    "Fees",
    "MaintenanceRules",
    "NumberFormat",
    "NumberFormats",
    "OfficeProfile",
    "ProfileError",
    "RenewalRules",
    "RightRules",
    "builtin_profile_names",
    "builtin_profiles",
    "load_profile",
    "loads_profile",
    "parse_profile",
]

SCHEMA_VERSION = 1
RIGHT_KINDS: tuple[str, ...] = (
    "trademark",
    "patent",
    "utility_model",
    "industrial_design",
    "copyright",
    "geographical_indication",
)
#: Optional procedural steps between filing and registration, in their usual order.
STEPS: tuple[str, ...] = ("formalities", "examination", "publication", "opposition")
#: What one issue of the office gazette covers (UTC ledger time): a day, an ISO week, a month.
GAZETTE_PERIODS: tuple[str, ...] = ("day", "week", "month")
#: What a right's term runs from; "recorded" = the expiry date is recorded, not computed.
TERM_ANCHORS: tuple[str, ...] = ("filing_date", "registration_date", "recorded")
MAINTENANCE_ANCHORS: tuple[str, ...] = ("filing_date", "registration_date")
MAX_FEE = 10**12  # minor units; a sanity bound, not a policy


def _codes(text: str) -> list[str]:
    return text.split()


#: Active ISO 4217 codes -> number of minor-unit digits (X-codes: 0, they have no minor unit).
ISO_4217_MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        **dict.fromkeys(
            _codes(
                "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD "
                "BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP "
                "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR "
                "JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU "
                "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
                "RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
                "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
            ),
            2,
        ),
        **dict.fromkeys(
            _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"), 0
        ),
        **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
        **dict.fromkeys(_codes("CLF UYW"), 4),
        **dict.fromkeys(_codes("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX"), 0),
    }
)

#: Fee names a profile may define (TOML keys of ``[rights.<kind>.fees]``).
_SCALAR_FEES: tuple[str, ...] = (
    "filing",
    "search",
    "examination",
    "publication",
    "registration",
    "grant",
    "renewal_surcharge",
    "maintenance_surcharge",
    "opposition",
    "cancellation",
    "invalidation",
    "appeal",
    "assignment_recordal",
    "licence_recordal",
    "security_interest_recordal",
    "reinstatement",
)
_LIST_FEES: tuple[str, ...] = (
    "per_extra_class",
    "per_extra_design",
    "renewal",
    "renewal_per_extra_class",
    "maintenance",
)
FEE_NAMES: tuple[str, ...] = (*_SCALAR_FEES, *_LIST_FEES, "renewal_surcharge_percent")

_OFFICE_CODE = re.compile(r"[A-Z]{2}\Z", re.ASCII)
_PROFILE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z", re.ASCII)
_TOKEN = re.compile(r"\{([a-z]+)(?::([0-9]{1,2}))?\}", re.ASCII)


class ProfileError(ValueError):
    """A profile is invalid; ``path`` is the dotted key path, ``message`` the rule broken."""

    def __init__(self, path: str, message: str, source: str = "<profile>") -> None:
        self.path = path
        self.message = message
        self.source = source
        super().__init__(f"{source}: {path or '<root>'}: {message}")


# --------------------------------------------------------------------------------------------
# value types


@dataclass(frozen=True)
class NumberFormat:
    """A valid-number regex (full match) plus a template for assigning the next number.

    Template tokens: ``{seq}`` / ``{seq:N}`` (sequence, zero-padded to N digits), ``{year}``
    (four digits), ``{office}`` (ST.3 code), ``{application}`` (registration numbers only).
    """

    pattern: str
    template: str
    example: str
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.pattern, re.ASCII))

    def matches(self, number: str) -> bool:
        """True if ``number`` is a well-formed number of this kind."""
        return self._regex.fullmatch(number) is not None

    def format(self, seq: int, *, office: str = "", year: int = 0, application: str = "") -> str:
        """The number for sequence ``seq``; ValueError if it does not match ``pattern``."""
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise ValueError("seq must be a non-negative int")

        def fill(m: re.Match[str]) -> str:
            name, width = m.group(1), m.group(2)
            if name == "seq":
                return f"{seq:0{int(width)}d}" if width else str(seq)
            if name == "year":
                return f"{year:04d}"
            if name == "office":
                return office
            return application

        number = _TOKEN.sub(fill, self.template)
        if not self.matches(number):
            raise ValueError(
                f"number {number!r} for seq {seq} does not match pattern {self.pattern!r}"
            )
        return number


@dataclass(frozen=True)
class NumberFormats:
    """Application and registration (or grant) number formats of one right kind."""

    application: NumberFormat
    registration: NumberFormat


@dataclass(frozen=True)
class RenewalRules:
    """Renewal of a registration for further periods (trademarks, designs)."""

    period: Duration
    window_before: Duration  # renewal may be requested this long before expiry
    grace_after: Duration  # ... and, with a surcharge, this long after it
    max_renewals: int | None  # None = indefinitely


@dataclass(frozen=True)
class MaintenanceRules:
    """Maintenance fees due at fixed times after an anchor date (e.g. USPTO 3.5/7.5/11.5 y)."""

    anchor: str  # "registration_date" (grant) or "filing_date"
    due: tuple[Duration, ...]
    window_before: Duration  # payable without surcharge this long before each due date
    grace_after: Duration  # ... and with surcharge this long after it; then the right ends


@dataclass(frozen=True)
class Fees:
    """Official fees in minor units of the profile's currency; ``None`` = no such fee."""

    filing: int | None = None
    search: int | None = None
    examination: int | None = None
    publication: int | None = None
    registration: int | None = None
    grant: int | None = None
    renewal_surcharge: int | None = None
    maintenance_surcharge: int | None = None
    opposition: int | None = None
    cancellation: int | None = None
    invalidation: int | None = None
    appeal: int | None = None
    assignment_recordal: int | None = None
    licence_recordal: int | None = None
    security_interest_recordal: int | None = None
    reinstatement: int | None = None
    per_extra_class: tuple[int, ...] = ()  # 2nd class, 3rd class, ...; the last value repeats
    per_extra_design: tuple[int, ...] = ()  # same, for multiple design applications
    renewal: tuple[int, ...] = ()  # 1st renewal, 2nd renewal, ...; the last value repeats
    renewal_per_extra_class: tuple[int, ...] = ()
    maintenance: tuple[int, ...] = ()  # one per maintenance due date
    renewal_surcharge_percent: int | None = None  # alternative to a fixed renewal_surcharge

    def defined(self, name: str) -> bool:
        """True if the profile charges fee ``name`` (see :data:`FEE_NAMES`)."""
        if name == "renewal_surcharge":
            return self.renewal_surcharge is not None or self.renewal_surcharge_percent is not None
        if name not in FEE_NAMES:
            return False
        value = getattr(self, name)
        return value is not None and value != ()

    def extra_class_fees(self, classes: int, *, renewal: bool = False) -> int:
        """Class fees beyond the first class for ``classes`` classes (0 if none defined)."""
        table = self.renewal_per_extra_class if renewal else self.per_extra_class
        return _sum_stepped(table, classes - 1)

    def extra_design_fees(self, designs: int) -> int:
        """Fees for designs beyond the first in a multiple application."""
        return _sum_stepped(self.per_extra_design, designs - 1)

    def renewal_fee(self, n: int) -> int:
        """Basic fee of the ``n``-th renewal (1-based); 0 if renewal is free or undefined."""
        if n < 1:
            raise ValueError("renewal number is 1-based")
        if not self.renewal:
            return 0
        return self.renewal[min(n, len(self.renewal)) - 1]

    def renewal_surcharge_for(self, base: int) -> int:
        """Late-renewal surcharge for a renewal costing ``base`` (percentages round down)."""
        if self.renewal_surcharge is not None:
            return self.renewal_surcharge
        if self.renewal_surcharge_percent is not None:
            return base * self.renewal_surcharge_percent // 100
        return 0


def _sum_stepped(table: tuple[int, ...], extra: int) -> int:
    if extra <= 0 or not table:
        return 0
    return sum(table[min(i, len(table) - 1)] for i in range(extra))


@dataclass(frozen=True)
class RightRules:
    """How one office handles one right kind."""

    kind: str
    supported: bool
    steps: tuple[str, ...] = ()
    term: Duration | None = None
    term_anchor: str = "filing_date"
    opposition_period: Duration | None = None  # runs from the publication date
    # Priority claims may be added after filing until this period after the priority date;
    # None: only with the application.
    priority_claim_period: Duration | None = None
    renewal: RenewalRules | None = None
    maintenance: MaintenanceRules | None = None
    fees: Fees = field(default_factory=Fees)
    numbers: NumberFormats | None = None

    def has_step(self, step: str) -> bool:
        """True if the procedure includes ``step`` (one of :data:`STEPS`)."""
        return step in self.steps

    @property
    def has_expiry(self) -> bool:
        """True if the right can reach an end of term (computed or recorded)."""
        return self.term is not None or self.term_anchor == "recorded"


@dataclass(frozen=True)
class OfficeProfile:
    """A validated, immutable office profile."""

    name: str
    office_code: str
    office_name: str
    currency: str
    currency_exponent: int
    fees_effective: date | None
    rights: Mapping[str, RightRules]  # every kind of RIGHT_KINDS, in that order
    source: str = "<profile>"
    schema: int = SCHEMA_VERSION
    gazette_period: str = "week"  # one of GAZETTE_PERIODS: what one gazette issue covers

    def rules(self, kind: str) -> RightRules:
        """Rules for ``kind``; ValueError for a kind that is not one of :data:`RIGHT_KINDS`."""
        if kind not in RIGHT_KINDS:
            raise ValueError(f"unknown right kind {kind!r}; known: {', '.join(RIGHT_KINDS)}")
        return self.rights[kind]

    def supports(self, kind: str) -> bool:
        """True if this office registers rights of ``kind``."""
        return kind in RIGHT_KINDS and self.rights[kind].supported

    @property
    def supported_kinds(self) -> tuple[str, ...]:
        """Supported right kinds in :data:`RIGHT_KINDS` order."""
        return tuple(k for k in RIGHT_KINDS if self.rights[k].supported)


# --------------------------------------------------------------------------------------------
# strict reader


class _Table:
    """A TOML table being validated: typed getters, then ``finish`` rejects unknown keys."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, dict):
            raise ProfileError(path, f"must be a table, got {_type_name(data)}", source)
        self.data: dict[str, Any] = data
        self.path = path
        self.source = source
        self.used: set[str] = set()

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> ProfileError:
        return ProfileError(self.sub(key), message, self.source)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "missing required key")
            return None
        return self.data[key]

    def string(self, key: str, required: bool = True) -> str | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {_type_name(value)}")
        return value

    def req_string(self, key: str) -> str:
        value = self.string(key, True)
        if value is None:  # pragma: no cover - string(required=True) raises instead
            raise self.error(key, "missing required key")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {_type_name(value)}")
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int = MAX_FEE) -> int | None:
        value = self.raw(key, False)
        if value is None:
            return None
        return _check_int(value, self.sub(key), self.source, minimum, maximum)

    def int_list(self, key: str, *, maximum: int = MAX_FEE) -> tuple[int, ...]:
        value = self.raw(key, False)
        if value is None:
            return ()
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.error(key, "must be an integer or a non-empty array of integers")
        return tuple(
            _check_int(v, f"{self.sub(key)}[{i}]", self.source, 0, maximum)
            for i, v in enumerate(value)
        )

    def duration(
        self, key: str, required: bool = False, *, nonzero: bool = False
    ) -> Duration | None:
        value = self.string(key, required)
        if value is None:
            return None
        try:
            result = parse_duration(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None
        if nonzero and result.is_zero():
            raise self.error(key, "must be a positive duration")
        return result

    def req_duration(self, key: str, *, nonzero: bool = False) -> Duration:
        value = self.duration(key, True, nonzero=nonzero)
        if value is None:  # pragma: no cover - duration(required=True) raises instead
            raise self.error(key, "missing required key")
        return value

    def req_table(self, key: str) -> _Table:
        value = self.table(key, True)
        if value is None:  # pragma: no cover - table(required=True) raises instead
            raise self.error(key, "missing required key")
        return value

    def table(self, key: str, required: bool = False) -> _Table | None:
        value = self.raw(key, required)
        if value is None:
            return None
        return _Table(value, self.sub(key), self.source)

    def finish(self) -> None:
        unknown = sorted(k for k in self.data if k not in self.used)
        if unknown:
            raise self.error(unknown[0], "unknown key")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _check_int(value: Any, path: str, source: str, minimum: int, maximum: int) -> int:
    if isinstance(value, float):
        raise ProfileError(
            path, f"must be an integer (fees are in minor units), got {_type_name(value)}", source
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProfileError(path, f"must be an integer, got {_type_name(value)}", source)
    if value < minimum:
        raise ProfileError(path, f"must be >= {minimum}, got {value}", source)
    if value > maximum:
        raise ProfileError(path, f"must be <= {maximum}, got {value}", source)
    return value


def _choice(t: _Table, key: str, choices: tuple[str, ...], default: str) -> str:
    value = t.string(key, False)
    if value is None:
        return default
    if value not in choices:
        raise t.error(key, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# parsing


def _parse_number_format(t: _Table, *, registration: bool) -> NumberFormat:
    pattern = t.req_string("pattern")
    template = t.req_string("template")
    example = t.req_string("example")
    t.finish()
    try:
        re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise t.error("pattern", f"not a valid regular expression: {exc}") from None
    pos = 0
    seqs = 0
    applications = 0
    for m in _TOKEN.finditer(template):
        literal = template[pos : m.start()]
        pos = m.end()
        if "{" in literal or "}" in literal:
            raise t.error("template", f"stray brace in {template!r}")
        name, width = m.group(1), m.group(2)
        if name == "seq":
            seqs += 1
            if width is not None and not 1 <= int(width) <= 18:
                raise t.error("template", "{seq:N} needs 1 <= N <= 18")
        elif name == "application" and registration:
            applications += 1
        elif name in ("year", "office"):
            pass
        else:
            raise t.error("template", f"unknown token {{{name}}} in {template!r}")
        if width is not None and name != "seq":
            raise t.error("template", f"only {{seq}} takes a width, not {{{name}}}")
    tail = template[pos:]
    if "{" in tail or "}" in tail:
        raise t.error("template", f"stray brace in {template!r}")
    if seqs + applications != 1:
        need = "{seq} or {application}" if registration else "{seq}"
        raise t.error("template", f"must contain exactly one {need}")
    fmt = NumberFormat(pattern, template, example)
    if not fmt.matches(example):
        raise t.error("example", f"{example!r} does not match pattern {pattern!r}")
    return fmt


def _parse_fees(t: _Table) -> Fees:
    values: dict[str, Any] = {}
    for name in _SCALAR_FEES:
        values[name] = t.integer(name)
    for name in _LIST_FEES:
        values[name] = t.int_list(name)
    values["renewal_surcharge_percent"] = t.integer("renewal_surcharge_percent", maximum=100)
    t.finish()
    if values["renewal_surcharge"] is not None and values["renewal_surcharge_percent"] is not None:
        raise t.error(
            "renewal_surcharge_percent", "give renewal_surcharge or the percent, not both"
        )
    return Fees(**values)


def _parse_rights(kind: str, t: _Table) -> RightRules:
    supported = t.boolean("supported", True)
    if not supported:
        t.finish()  # an unsupported kind carries nothing else
        return RightRules(kind=kind, supported=False)

    steps_raw = t.raw("steps", True)
    if not isinstance(steps_raw, list) or not all(isinstance(s, str) for s in steps_raw):
        raise t.error("steps", "must be an array of strings")
    for i, step in enumerate(steps_raw):
        if step not in STEPS:
            raise ProfileError(
                f"{t.sub('steps')}[{i}]",
                f"unknown step {step!r}; known: {', '.join(STEPS)}",
                t.source,
            )
    if len(set(steps_raw)) != len(steps_raw):
        raise t.error("steps", "lists a step twice")
    steps = tuple(steps_raw)
    if "opposition" in steps:
        at = steps.index("opposition")
        if at == 0 or steps[at - 1] != "publication":
            raise t.error("steps", "'opposition' must directly follow 'publication'")

    term = t.duration("term", nonzero=True)
    term_anchor = _choice(t, "term_anchor", TERM_ANCHORS, "filing_date")
    if term_anchor == "recorded" and term is not None:
        raise t.error("term", "a recorded term (term_anchor = 'recorded') has no computed term")
    opposition = t.duration("opposition_period", nonzero=True)
    priority_claim_period = t.duration("priority_claim_period", nonzero=True)
    if ("opposition" in steps) != (opposition is not None):
        raise t.error("opposition_period", "required exactly when steps include 'opposition'")

    renewal: RenewalRules | None = None
    rt = t.table("renewal")
    if rt is not None:
        period = rt.req_duration("period", nonzero=True)
        window = rt.req_duration("window_before")
        grace = rt.req_duration("grace_after")
        max_renewals = rt.integer("max_renewals", maximum=1000)
        rt.finish()
        if term is None:
            raise t.error("renewal", "renewal needs a computed 'term'")
        renewal = RenewalRules(period, window, grace, max_renewals)

    maintenance: MaintenanceRules | None = None
    mt = t.table("maintenance")
    if mt is not None:
        anchor = _choice(mt, "anchor", MAINTENANCE_ANCHORS, "registration_date")
        due_raw = mt.raw("due", True)
        if not isinstance(due_raw, list) or not due_raw:
            raise mt.error("due", "must be a non-empty array of durations")
        due: list[Duration] = []
        for i, item in enumerate(due_raw):
            path = f"{mt.sub('due')}[{i}]"
            if not isinstance(item, str):
                raise ProfileError(path, f"must be a string, got {_type_name(item)}", t.source)
            try:
                d = parse_duration(item)
            except ValueError as exc:
                raise ProfileError(path, str(exc), t.source) from None
            if due and (d.total_months, d.days) <= (due[-1].total_months, due[-1].days):
                raise ProfileError(path, "due dates must be strictly increasing", t.source)
            due.append(d)
        window = mt.req_duration("window_before")
        grace = mt.req_duration("grace_after")
        mt.finish()
        maintenance = MaintenanceRules(anchor, tuple(due), window, grace)
    if renewal is not None and maintenance is not None:
        raise t.error("maintenance", "a right kind has renewal or maintenance, not both")

    ft = t.table("fees")
    fees = _parse_fees(ft) if ft is not None else Fees()
    if (
        maintenance is not None
        and fees.maintenance
        and len(fees.maintenance) != len(maintenance.due)
    ):
        raise ProfileError(
            f"{t.sub('fees')}.maintenance",
            f"needs one fee per due date ({len(maintenance.due)}), got {len(fees.maintenance)}",
            t.source,
        )
    if maintenance is None and fees.maintenance:
        raise ProfileError(f"{t.sub('fees')}.maintenance", "no [maintenance] schedule", t.source)
    if renewal is None and fees.renewal:
        raise ProfileError(f"{t.sub('fees')}.renewal", "no [renewal] rules", t.source)
    if (
        renewal is not None
        and renewal.max_renewals is not None
        and len(fees.renewal) > renewal.max_renewals
    ):
        raise ProfileError(
            f"{t.sub('fees')}.renewal",
            f"more renewal fees than max_renewals ({renewal.max_renewals})",
            t.source,
        )

    nt = t.req_table("numbers")
    app_t = nt.req_table("application")
    reg_t = nt.req_table("registration")
    nt.finish()
    numbers = NumberFormats(
        _parse_number_format(app_t, registration=False),
        _parse_number_format(reg_t, registration=True),
    )
    t.finish()
    return RightRules(
        kind=kind,
        supported=True,
        steps=steps,
        term=term,
        term_anchor=term_anchor,
        opposition_period=opposition,
        priority_claim_period=priority_claim_period,
        renewal=renewal,
        maintenance=maintenance,
        fees=fees,
        numbers=numbers,
    )


def parse_profile(data: Mapping[str, Any], source: str = "<profile>") -> OfficeProfile:
    """Validate a decoded TOML document into an :class:`OfficeProfile` (ProfileError if not)."""
    root = _Table(dict(data), "", source)
    schema = root.integer("schema", minimum=1, maximum=1000)
    if schema is None:
        raise root.error("schema", "missing required key")
    if schema != SCHEMA_VERSION:
        raise root.error("schema", f"unsupported schema {schema}; this code reads {SCHEMA_VERSION}")
    name = root.req_string("name")
    if not _PROFILE_NAME.match(name):
        raise root.error("name", "must match [a-z][a-z0-9_-]{0,31}")

    office = root.req_table("office")
    code = office.req_string("code")
    if not _OFFICE_CODE.match(code):
        raise office.error("code", f"must be a two-letter WIPO ST.3 code, got {code!r}")
    office_name = office.req_string("name")
    if not office_name.strip():
        raise office.error("name", "must not be empty")
    currency = office.req_string("currency")
    if currency not in ISO_4217_MINOR_UNITS:
        raise office.error("currency", f"not an active ISO 4217 currency code: {currency!r}")
    effective_text = office.string("fees_effective", False)
    fees_effective: date | None = None
    if effective_text is not None:
        try:
            fees_effective = parse_iso_date(effective_text)
        except ValueError as exc:
            raise office.error("fees_effective", str(exc)) from None
    gazette_period = office.string("gazette_period", False) or "week"
    if gazette_period not in GAZETTE_PERIODS:
        raise office.error("gazette_period", f"must be one of {', '.join(GAZETTE_PERIODS)}")
    office.finish()

    rights_t = root.req_table("rights")
    for key in sorted(rights_t.data):
        if key not in RIGHT_KINDS:
            raise rights_t.error(key, f"unknown right kind; known: {', '.join(RIGHT_KINDS)}")
    rights: dict[str, RightRules] = {}
    for kind in RIGHT_KINDS:
        sub = rights_t.table(kind)
        rights[kind] = (
            _parse_rights(kind, sub) if sub is not None else RightRules(kind, supported=False)
        )
    rights_t.finish()
    root.finish()
    if not any(r.supported for r in rights.values()):
        raise ProfileError("rights", "supports no right kind", source)
    return OfficeProfile(
        name=name,
        office_code=code,
        office_name=office_name,
        currency=currency,
        currency_exponent=ISO_4217_MINOR_UNITS[currency],
        fees_effective=fees_effective,
        rights=MappingProxyType(rights),
        source=source,
        schema=schema,
        gazette_period=gazette_period,
    )


def loads_profile(text: str, source: str = "<string>") -> OfficeProfile:
    """Parse and validate profile TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError("", f"not valid TOML: {exc}", source) from None
    return parse_profile(data, source)


def builtin_profile_names() -> tuple[str, ...]:
    """Names of the profiles shipped in ``registry/profiles/``, sorted."""
    folder = resources.files("ipledger.registry").joinpath("profiles")
    return tuple(
        sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))
    )


@cache
def _builtin(name: str) -> OfficeProfile:
    resource = resources.files("ipledger.registry").joinpath("profiles", f"{name}.toml")
    profile = loads_profile(resource.read_text(encoding="utf-8"), f"builtin:{name}")
    if profile.name != name:
        raise ProfileError("name", f"builtin file {name}.toml names itself {profile.name!r}")
    return profile


def load_profile(name_or_path: str | os.PathLike[str]) -> OfficeProfile:
    """A builtin profile by name (``"euipo"``) or a profile TOML file by path."""
    if isinstance(name_or_path, str) and name_or_path in builtin_profile_names():
        return _builtin(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no builtin profile or file named {str(name_or_path)!r}; "
            f"builtins: {', '.join(builtin_profile_names())}"
        )
    return loads_profile(path.read_text(encoding="utf-8"), str(path))


def builtin_profiles() -> dict[str, OfficeProfile]:
    """All builtin profiles by name, in sorted name order."""
    return {name: _builtin(name) for name in builtin_profile_names()}
