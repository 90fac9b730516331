"""The payment interface and its built-in test gateway: deterministic outcomes by test card
number, Luhn (ISO/IEC 7812-1) checking, receipts found again by reference; no money moves."""

from __future__ import annotations

import re

import pytest

from ipledger.services.payments import PaymentGateway, PaymentRequest, TestGateway, luhn_valid


@pytest.mark.parametrize(("number", "valid"), [
    ("4242424242424242", True), ("4111111111111111", True), ("5555555555554444", True),
    ("378282246310005", True),  # 15-digit card number
    ("4242424242424241", False), ("1234567812345678", False),
    ("42424242424", False),  # too short for a card number
    ("4242 4242 4242 4242", False), ("４２４２４２４２４２４２４２４２", False),  # not ASCII digits
])
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


def pay(gateway: PaymentGateway, card: str, amount: int = 85_000,
        currency: str = "EUR") -> object:
    return gateway.charge(PaymentRequest(amount, currency, card, "right.file trademark EM"))


def test_approved_cards_get_distinct_references_that_can_be_looked_up() -> None:
    gateway: PaymentGateway = TestGateway()
    first = gateway.charge(PaymentRequest(85_000, "EUR", "4242 4242 4242 4242", "filing"))
    second = gateway.charge(PaymentRequest(85_000, "EUR", "5555-5555-5555-4444", "filing"))
    assert first.approved and second.approved
    assert first.reference and second.reference and first.reference != second.reference
    assert re.fullmatch(r"TEST-000001-[0-9A-F]{12}", first.reference)
    assert (first.amount, first.currency, first.card_last4) == (85_000, "EUR", "4242")
    assert gateway.receipt(first.reference) == first
    assert gateway.receipt("TEST-999999-000000000000") is None


def test_the_same_sequence_of_payments_gives_the_same_references() -> None:
    def run() -> list[str | None]:
        gateway = TestGateway()
        return [gateway.charge(PaymentRequest(a, "EUR", "4242424242424242", "x")).reference
                for a in (100, 200)]
    assert run() == run()


@pytest.mark.parametrize(("card", "amount", "currency", "code"), [
    ("4000 0000 0000 0002", 85_000, "EUR", "card_declined"),
    ("4000000000009995", 85_000, "EUR", "insufficient_funds"),
    ("4111111111111111", 85_000, "EUR", "unknown_test_card"),
    ("4242424242424241", 85_000, "EUR", "invalid_number"),
    ("not a card", 85_000, "EUR", "invalid_number"),
    ("4242424242424242", 0, "EUR", "invalid_amount"),
    ("4242424242424242", -5, "EUR", "invalid_amount"),
    ("4242424242424242", 100, "EURO", "invalid_currency"),
])
def test_declines_are_results_with_a_code_and_no_receipt(card: str, amount: int, currency: str,
                                                         code: str) -> None:
    gateway = TestGateway()
    result = gateway.charge(PaymentRequest(amount, currency, card, "filing"))
    assert not result.approved and result.decline_code == code and result.reference is None
