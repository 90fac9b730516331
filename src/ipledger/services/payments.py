"""Fee payment: a pluggable gateway interface and the built-in test gateway.

The register never talks to a payment service: an entry carries the payment it makes
(``{"amount", "currency", "reference"}``), the register checks the amount against the office
profile and keeps the reference in the right's history. Charging the applicant happens before
the entry is signed, through a :class:`PaymentGateway`; an office plugs in its own (card
acquirer, deposit account, bank transfer) by setting ``app.state.payments``.

:class:`TestGateway` moves no money and calls nothing outside the process. It decides by
card number, like the test cards card acquirers publish:

=====================  ===============================
``4242424242424242``   approved
``5555555555554444``   approved
``4000000000000002``   declined: ``card_declined``
``4000000000009995``   declined: ``insufficient_funds``
any other Luhn-valid   declined: ``unknown_test_card``
not Luhn-valid         declined: ``invalid_number``
=====================  ===============================
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Protocol

from ipledger.registry.profiles import ISO_4217_MINOR_UNITS

APPROVED_TEST_CARDS = ("4242424242424242", "5555555555554444")
DECLINED_TEST_CARDS = {"4000000000000002": "card_declined",
                       "4000000000009995": "insufficient_funds"}


@dataclass(frozen=True)
class PaymentRequest:
    amount: int  # minor units of ``currency``
    currency: str  # ISO 4217
    card_number: str
    description: str  # what is paid for, e.g. "right.file trademark EM"


@dataclass(frozen=True)
class PaymentResult:
    approved: bool
    amount: int
    currency: str
    reference: str | None = None  # the gateway's receipt reference, when approved
    decline_code: str | None = None  # when declined: why (a short code)
    card_last4: str = ""


class PaymentGateway(Protocol):
    """What the filing pages and ``POST /v1/payments`` need of a payment service."""

    name: str

    def charge(self, request: PaymentRequest) -> PaymentResult:
        """Take the payment (or decline it); never raises for a declined card."""
        ...

    def receipt(self, reference: str) -> PaymentResult | None:
        """The approved payment with this reference, if this gateway made it."""
        ...


def luhn_valid(number: str) -> bool:
    """ISO/IEC 7812-1 check digit of a card number (digits only, 12-19 of them)."""
    if not number.isascii() or not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalise_card_number(text: str) -> str:
    """A card number as typed (spaces, dashes) to its digits."""
    return "".join(ch for ch in text if ch not in " -")


class TestGateway:
    """A gateway for tests and demonstrations: deterministic, in memory, no money."""

    __test__ = False  # not a pytest test class
    name = "test"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receipts: dict[str, PaymentResult] = {}

    def charge(self, request: PaymentRequest) -> PaymentResult:
        number = normalise_card_number(request.card_number)
        last4 = number[-4:] if number.isdigit() else ""
        if request.currency not in ISO_4217_MINOR_UNITS:
            return PaymentResult(False, request.amount, request.currency,
                                 decline_code="invalid_currency", card_last4=last4)
        if request.amount <= 0:
            return PaymentResult(False, request.amount, request.currency,
                                 decline_code="invalid_amount", card_last4=last4)
        if not luhn_valid(number):
            code = "invalid_number"
        elif number in DECLINED_TEST_CARDS:
            code = DECLINED_TEST_CARDS[number]
        elif number not in APPROVED_TEST_CARDS:
            code = "unknown_test_card"
        else:
            with self._lock:
                serial = len(self._receipts) + 1
                digest = hashlib.sha256(f"{serial}|{request.amount}|{request.currency}|"
                                        f"{request.description}".encode()).hexdigest()
                reference = f"TEST-{serial:06d}-{digest[:12].upper()}"
                result = PaymentResult(True, request.amount, request.currency, reference,
                                       card_last4=last4)
                self._receipts[reference] = result
            return result
        return PaymentResult(False, request.amount, request.currency, decline_code=code,
                             card_last4=last4)

    def receipt(self, reference: str) -> PaymentResult | None:
        with self._lock:
            return self._receipts.get(reference)
