"""Why an entry or request was refused: one exception type, RFC 9457-ready."""

from __future__ import annotations

# rule -> (title, HTTP status). The rule id is the stable, machine-readable part; the
# problem type URI is /problems/<rule>.
PROBLEM_TITLES: dict[str, tuple[str, int]] = {
    "invalid-json": ("Body is not valid JSON", 400),
    "invalid-utf8": ("Body is not valid UTF-8", 400),
    "duplicate-key": ("JSON object has a duplicate key", 400),
    "no-floats": ("Numbers must be integers (amounts are integer minor units)", 400),
    "integer-range": ("Integer outside the I-JSON range ±(2^53-1)", 400),
    "not-canonical": ("Body is not RFC 8785 canonical JSON", 400),
    "too-large": ("Entry exceeds 65,535 bytes", 413),
    "body-too-large": ("Request body too large", 413),
    "missing-field": ("A required field is missing", 422),
    "unknown-field": ("Unknown field", 422),
    "wrong-type": ("Field has the wrong JSON type", 422),
    "invalid-value": ("Field value is invalid", 422),
    "unsupported-version": ("Unsupported envelope version", 422),
    "wrong-ledger": ("Entry is bound to a different ledger", 422),
    "unknown-type": ("Unknown entry type", 422),
    "invalid-actor": ("Actor is not a resolvable DID URL", 422),
    "bad-signature": ("Signature does not verify", 422),
    "stale-created": ("'created' is older than the replay window", 422),
    "future-created": ("'created' is too far in the future", 422),
    "replayed-nonce": ("Nonce already used by this actor", 409),
    "sequencer-seq": ("Entries must not carry 'seq'; the sequencer adds it", 422),
    "unavailable": ("The ledger cannot accept writes right now", 503),
    "not-ready": ("The node is not ready to serve (a readiness check failed)", 503),
    "not-found": ("Not found", 404),
    "not-final": ("No checkpoint covering that size is final yet", 404),
    "not-registered": ("The right is not registered (not in force) as of that checkpoint", 409),
    "locked": ("Locked after too many wrong access codes; the applicant must authorize again",
               423),
    "wrong-access-code": ("The access code is wrong (the attempt is recorded)", 403),
    "not-shared": ("This node keeps no shared ledger", 404),
    "out-of-range": ("Index or tree size out of range", 400),
    "bad-parameter": ("Query parameter is invalid", 400),
    "unsupported-media-type": ("Unsupported Content-Type", 415),
    "method-not-allowed": ("Method not allowed", 405),
    # Access control (api/auth.py, api/hardening.py).
    "invalid-challenge": ("Challenge is unknown, already used or expired", 401),
    "unknown-key": ("Key is not a party key valid now in the register", 401),
    "invalid-token": ("Session token is missing, malformed, unknown, expired or revoked", 401),
    "rate-limited": ("Too many requests; retry after the time in Retry-After", 429),
    # Documents (api/documents.py).
    "hash-mismatch": ("Content does not hash to the declared SHA-256", 422),
    "media-type-mismatch": ("Content does not match its declared media type", 415),
    # Priority claims (registry/priority_claims.py, Paris Convention Art. 4).
    "priority-not-available": ("No right of priority for this kind of application", 422),
    "priority-period-expired": ("The priority period has expired", 422),
    "priority-mismatch": ("The priority claim does not match the deposited application", 422),
    # Online filing (api/filing.py, services/payments.py), and register rules it answers.
    "payment-declined": ("The payment was declined", 402),
    "unsupported-kind": ("The office does not register this kind of right", 400),
    "invalid-transition": ("The action is not possible in the current state", 400),
    # Witnessing (api/witness.py, C2SP tlog-witness).
    "malformed-request": ("Request body does not follow the protocol's syntax", 400),
    "unknown-log": ("This witness does not witness that log", 404),
    "untrusted-checkpoint": ("No checkpoint signature verifies against a trusted key", 403),
    "old-size-mismatch": ("Old size is not the size this witness last cosigned", 409),
    "inconsistent-checkpoint": ("Checkpoint is inconsistent with the one cosigned before; "
                                "kept as evidence", 409),
    "no-witness": ("This node does not run a witness", 404),
}


class VerificationError(ValueError):
    """Offline verification of a proof failed; ``step`` names the check, ``detail`` why.
    Receipts, extracts, certificates, credentials ... each subclass it."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


class Rejection(Exception):  # noqa: N818 - a rejection is an outcome, not a bug
    """An input the ledger refuses, naming the field (JSON Pointer) and the rule."""

    #: Set once a metrics counter has counted this rejection (see ``LedgerMetrics``).
    counted = False

    def __init__(self, rule: str, detail: str, pointer: str = "", status: int | None = None):
        super().__init__(f"{pointer or '(document)'}: {rule}: {detail}")
        self.rule = rule
        self.detail = detail
        self.pointer = pointer
        title, default_status = PROBLEM_TITLES.get(rule, ("Rejected", 400))
        self.title = title
        self.status = status if status is not None else default_status

    def __reduce__(self) -> tuple[type[Rejection], tuple[str, str, str, int]]:
        # Rejections cross process boundaries (validation workers).
        return (Rejection, (self.rule, self.detail, self.pointer, self.status))

    def problem(self, instance: str | None = None) -> dict[str, object]:
        """The RFC 9457 problem document for this rejection."""
        doc: dict[str, object] = {
            "type": f"/problems/{self.rule}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "rule": self.rule,
        }
        if self.pointer:
            doc["pointer"] = self.pointer
        if instance:
            doc["instance"] = instance
        return doc
