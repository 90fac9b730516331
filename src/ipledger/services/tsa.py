"""The RFC 3161 time-stamping authority: every token's imprint is first a ledger entry.

For each valid request the TSA appends an ``evidence.stamp`` entry with the imprint
(``sha256``, ``sha384`` or ``sha512``), signed by the node's TSA entry key; the token's
serialNumber is that entry's index and its genTime the entry's ledger time. So a token
is also provable through the log: the entry at index ``serialNumber`` holds the same
digest at the same time, under the log's checkpoints, even if the TSA key is later lost.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from pathlib import Path

from ipledger.codec import canonicalize
from ipledger.ledger import Ledger, Rejection, Sequenced, make_envelope
from ipledger.services.evidence import STAMP_TYPE
from ipledger.services.tsa_ca import TsaIdentity, load_tsa
from ipledger.services.tsa_protocol import (
    TimeStampRequest,
    TokenSigner,
    TsaRejection,
    failure_response,
    parse_request,
    rejection_response,
    tst_info,
)

log = logging.getLogger(__name__)


class TimeStampAuthority:
    """Answers DER ``TimeStampReq`` with DER ``TimeStampResp`` over one ledger."""

    def __init__(self, ledger: Ledger, identity: TsaIdentity) -> None:
        self.ledger = ledger
        self.identity = identity
        self.signer = TokenSigner(identity.key, identity.cert)

    @classmethod
    def open(cls, ledger: Ledger, data: Path) -> TimeStampAuthority:
        """The node's TSA, its CA chain made on first use if ``init`` predates the TSA."""
        return cls(ledger, load_tsa(data, ledger.origin))

    def entry_for(self, request: TimeStampRequest) -> bytes:
        """The signed ``evidence.stamp`` envelope recording the request's imprint."""
        field = request.hash_algorithm  # "sha256" -> body field "sha256", etc.
        return canonicalize(make_envelope(self.identity.entry_key, self.ledger.origin,
                                          STAMP_TYPE, {field: request.imprint.hex()}))

    def submit(self, request: TimeStampRequest) -> Future[Sequenced]:
        return self.ledger.submit(self.entry_for(request))

    def token_for(self, request: TimeStampRequest, sequenced: Sequenced) -> bytes:
        info = tst_info(request, sequenced.index, sequenced.time_ms, self.signer.tsa_name)
        return self.signer.response(info, request.cert_req)

    def respond(self, der: bytes, timeout: float = 30.0) -> bytes:
        """The DER reply to one DER request (blocking; a rejection changes nothing)."""
        try:
            request = parse_request(der)
        except TsaRejection as rejection:
            return rejection_response(rejection)
        try:
            sequenced = self.submit(request).result(timeout)
        except Rejection as exc:  # e.g. the ledger is read-only or unavailable
            return failure_response(f"the ledger refused the entry: {exc.detail}")
        except TimeoutError:
            return failure_response("the ledger did not record the entry in time")
        return self.token_for(request, sequenced)


_lock = threading.Lock()


def node_tsa(state: object, ledger: Ledger, data: Path | None) -> TimeStampAuthority | None:
    """``state.tsa``, opened from ``data`` and kept there on first use (None without data)."""
    with _lock:
        tsa: TimeStampAuthority | None = getattr(state, "tsa", None)
        if tsa is None and data is not None:
            tsa = TimeStampAuthority.open(ledger, data)
            state.tsa = tsa  # type: ignore[attr-defined]
        return tsa
