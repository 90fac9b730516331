"""schemathesis against the node's own /openapi.json: for every documented operation,
generated requests (valid and invalid); no 5xx, and every response matches the documented
status codes, content types and schemas.

schemathesis's pytest plugin does not support this pytest yet, so the operations are
driven through its programmatic API with Hypothesis directly."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from ipledger.api.app import create_app
from ipledger.api.hardening import AccessConfig
from ipledger.demo import seed
from ipledger.node import init_node, open_ledger

pytestmark = pytest.mark.slow

# Everything the documented contract promises. Not positive_data_acceptance: a request the
# JSON Schema allows can still be refused for what a schema cannot say (an Ed25519
# signature, RFC 8785 canonical form, a register rule), and must then be a documented 4xx.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
]


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: object, value: object) -> bytes:
    """The batch route's body: lines of JSON (the schema says: a string)."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.serializer("application/timestamp-query")
def timestamp_query(ctx: object, value: object) -> bytes:
    """POST /tsa's body: DER bytes (the schema says: a binary string)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    data = tmp_path_factory.mktemp("node") / "node"
    init_node(data, "schemathesis.ipledger.localhost/log")
    ledger = open_ledger(data, validation_processes=False)
    try:
        seed(ledger, data)  # a register to read: an office, parties, published rights
        # No rate limits here: thousands of requests from one test client are the point.
        access = AccessConfig(requests=None, auth_requests=None, failed_logins=None)
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(ledger, access))
    finally:
        ledger.close()
        ledger.store.close()


def test_every_operation_keeps_its_documented_promises(api_schema: object) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[attr-defined]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        @settings(max_examples=100, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
