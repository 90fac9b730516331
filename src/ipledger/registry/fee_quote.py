"""Fee quotes: what the register will demand, line by line, for a filing or a later action.

The register accepts a payment only if it is exactly the sum of the fees named by the
transition's ``fee_paid:<fee>`` preconditions (``families/rights.py``), or the recordal fee of
an assignment or licence. The amounts are computed here, from the office profile, itemised,
and the register sums the same lines: the web page, ``POST /v1/fees/quote`` and the ledger's
check cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ipledger.registry.lifecycle import ABSENT, RightDates, machine_for
from ipledger.registry.profiles import OfficeProfile, RightRules

#: Follow-up requests whose fee is a flat recordal fee (not a lifecycle transition).
RECORDALS = {"assignment.record": "assignment_recordal", "licence.grant": "licence_recordal"}


@dataclass(frozen=True)
class FeeLine:
    """One line of a quote: a profile fee (``count`` times, e.g. extra classes)."""

    fee: str
    amount: int  # minor units, for all ``count`` items together
    count: int = 1


@dataclass(frozen=True)
class FeeQuote:
    office: str
    kind: str
    action: str
    currency: str
    exponent: int  # minor-unit digits of the currency (ISO 4217)
    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def display(self, amount: int | None = None) -> str:
        """``amount`` (default the total) in major units, e.g. ``950.00 EUR``."""
        value = self.total if amount is None else amount
        if self.exponent == 0:
            return f"{value} {self.currency}"
        major, minor = divmod(value, 10**self.exponent)
        return f"{major}.{minor:0{self.exponent}d} {self.currency}"

    def payment(self) -> dict[str, Any] | None:
        """The ``payment`` member an entry carries for this quote (None if nothing is due)."""
        return {"amount": self.total, "currency": self.currency} if self.total else None

    def as_json(self) -> dict[str, Any]:
        return {"office": self.office, "kind": self.kind, "action": self.action,
                "currency": self.currency, "exponent": self.exponent, "total": self.total,
                "total_text": self.display(),
                "lines": [{"fee": x.fee, "count": x.count, "amount": x.amount}
                          for x in self.lines]}


def fee_lines(rules: RightRules, fee: str, classes: int, dates: RightDates) -> list[FeeLine]:
    """The lines of fee ``fee`` for a right with ``classes`` classes and ``dates``."""
    fees = rules.fees
    lines: list[FeeLine] = []

    def add(name: str, amount: int, count: int = 1) -> None:
        if amount:
            lines.append(FeeLine(name, amount, count))

    if fee == "filing":
        add("filing", fees.filing or 0)
        add("per_extra_class", fees.extra_class_fees(classes), classes - 1)
    elif fee == "renewal":
        add("renewal", fees.renewal_fee(dates.renewals + 1))
        add("renewal_per_extra_class", fees.extra_class_fees(classes, renewal=True), classes - 1)
    elif fee == "renewal_surcharge":
        add("renewal_surcharge", fees.renewal_surcharge_for(fees.renewal_fee(dates.renewals + 1)))
    elif fee == "maintenance":
        paid = len(dates.maintenance_paid)
        if fees.maintenance:
            add("maintenance", fees.maintenance[min(paid, len(fees.maintenance) - 1)])
    else:
        value = getattr(fees, fee, None)
        add(fee, value if isinstance(value, int) else 0)
    return lines


def transition_fees(profile: OfficeProfile, kind: str, state: str, action: str) -> list[str]:
    """The fee names the transition ``action`` from ``state`` requires paid (ValueError if
    the lifecycle has no such transition)."""
    for transition in machine_for(profile, kind).transitions_from(state):
        if transition.action == action:
            return [p.split(":", 1)[1] for p in transition.preconditions
                    if p.startswith("fee_paid:")]
    raise ValueError(f"{action!r} is not possible from {state!r}")


def quote(profile: OfficeProfile, kind: str, action: str, *, state: str = ABSENT,
          classes: int = 1, dates: RightDates | None = None) -> FeeQuote:
    """The fees of ``action`` ("file", "renew", ..., or a :data:`RECORDALS` entry type) on
    a right of ``kind`` in ``state`` with ``classes`` classes; ValueError if impossible."""
    rules = profile.rules(kind)
    if not rules.supported:
        raise ValueError(f"office {profile.office_code} does not register {kind!r}")
    dates = dates or RightDates()
    classes = max(1, classes)
    if action in RECORDALS:
        names = [RECORDALS[action]]
    else:
        names = transition_fees(profile, kind, state, action)
    lines = [line for name in names for line in fee_lines(rules, name, classes, dates)]
    return FeeQuote(profile.office_code, kind, action, profile.currency,
                    profile.currency_exponent, tuple(lines))


def quote_for_right(profile: OfficeProfile, right: dict[str, Any], action: str) -> FeeQuote:
    """The fees of ``action`` on the right record ``right`` as it stands."""
    from ipledger.registry.families.rights import right_dates  # rights builds on this module

    return quote(profile, right["kind"], action, state=right["state"],
                 classes=len(right.get("classes", [])), dates=right_dates(right))
