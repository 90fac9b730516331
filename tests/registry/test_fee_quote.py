"""Fee quotes from office profiles: filing with extra classes (stepped tables whose last value
repeats), renewals (by renewal number, per extra class, late surcharge as a percentage),
maintenance fees, recordals; impossible actions refused. The register checks payments with
these same lines (families/rights.py), and tests/web/test_filing_http.py shows it accepts
exactly the quoted amount."""

from __future__ import annotations

import pytest

from ipledger.registry.fee_quote import quote
from ipledger.registry.lifecycle import RightDates
from ipledger.registry.profiles import load_profile

EUIPO = load_profile("euipo")
GENERIC = load_profile("generic")


@pytest.mark.parametrize(("classes", "total"), [
    (1, 85_000), (2, 90_000), (3, 105_000), (5, 135_000)])
def test_trademark_filing_with_extra_classes(classes: int, total: int) -> None:
    q = quote(EUIPO, "trademark", "file", classes=classes)
    assert q.total == total and q.currency == "EUR" and q.exponent == 2
    assert q.lines[0].fee == "filing" and q.lines[0].amount == 85_000
    if classes > 1:
        assert (q.lines[1].fee, q.lines[1].count) == ("per_extra_class", classes - 1)
    assert q.display() == f"{total // 100}.{total % 100:02d} EUR"
    assert q.payment() == {"amount": total, "currency": "EUR"}


def test_renewal_on_time_and_late() -> None:
    on_time = quote(EUIPO, "trademark", "renew", state="registered", classes=3)
    assert [(x.fee, x.amount) for x in on_time.lines] == [
        ("renewal", 85_000), ("renewal_per_extra_class", 20_000)]
    late = quote(EUIPO, "trademark", "renew_late", state="in_grace_period", classes=1)
    assert [(x.fee, x.amount) for x in late.lines] == [
        ("renewal", 85_000), ("renewal_surcharge", 85_000 * 25 // 100)]


def test_design_renewals_step_with_the_number_of_renewals() -> None:
    fees = [quote(GENERIC, "industrial_design", "renew", state="registered",
                  dates=RightDates(renewals=n)).total for n in range(4)]
    assert fees == [20, 30, 40, 50]
    assert GENERIC.currency == "XXX" and quote(GENERIC, "industrial_design", "file").display() \
        == "50 XXX"  # no minor unit


def test_maintenance_fees_follow_the_schedule() -> None:
    dates = RightDates(maintenance_paid=())
    first = quote(GENERIC, "patent", "pay_maintenance_fee", state="granted", dates=dates)
    assert [(x.fee, x.amount) for x in first.lines] == [("maintenance", 10)]


def test_recordals_and_free_actions() -> None:
    assert quote(EUIPO, "trademark", "assignment.record").total == 20_000
    assert quote(EUIPO, "trademark", "licence.grant").total == 20_000
    withdraw = quote(EUIPO, "trademark", "withdraw", state="filed")
    assert withdraw.total == 0 and withdraw.lines == () and withdraw.payment() is None


def test_impossible_quotes_are_refused() -> None:
    with pytest.raises(ValueError, match="not possible"):
        quote(EUIPO, "trademark", "renew", state="filed")
    with pytest.raises(ValueError, match="unknown right kind"):
        quote(EUIPO, "spaceship", "file")
