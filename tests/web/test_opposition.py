"""Filing an opposition online: the public form of a published application in its
opposition period, the profile's fee, the register's own rules as field errors (nothing
recorded, nothing charged), and the prepared entry, signed by the opponent, accepted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.identity import SigningKey, did_key_url
from ipledger.registry.records import party_id_for
from ipledger.services.payments import TestGateway
from tests.registry.test_rights_lifecycle import Office, file_trademark

APPROVED, DECLINED = "4242 4242 4242 4242", "4000 0000 0000 0002"



@pytest.fixture
def client(office: Office) -> Iterator[TestClient]:
    app = create_app(office.node.ledger)
    app.state.payments = TestGateway()
    with TestClient(app) as c:
        yield c


@pytest.fixture
def opponent(office: Office) -> tuple[SigningKey, str]:
    key = SigningKey.generate()
    office.node.submit(key, "party.register", {"name": "Rival Brewing", "country": "FR",
                                               "kind": "legal"})
    return key, party_id_for(did_key_url(key.public_key))


def published(office: Office) -> str:
    number = file_trademark(office)
    for key, action in ((office.examiner, "check_formalities"),
                        (office.examiner, "start_examination"), (office.examiner, "accept"),
                        (office.registrar, "publish")):
        office.act(key, number, action)
    return number


def plan_of(html: str) -> list[dict[str, Any]]:
    found = re.search(r'id="filing-plan">(.*?)</script>', html, re.S)
    assert found is not None
    plan: list[dict[str, Any]] = json.loads(found[1])
    return plan


def test_an_opponent_files_an_opposition_with_the_profiles_fee(
        office: Office, client: TestClient, opponent: tuple[SigningKey, str]) -> None:
    number = published(office)
    key, party = opponent
    path = f"/oppose/EM/trademark/{number}"
    assert 'id="oppose-link"' in client.get(f"/rights/EM/trademark/{number}").text
    form = client.get(path)
    assert form.status_code == 200
    assert "AURORA BREW" in form.text, form.text[form.text.index("<main"):]
    assert "320.00 EUR" in form.text  # euipo.toml: opposition
    ends = re.search(r'id="period-ends">([0-9-]+)<', form.text)
    assert ends is not None and ends[1] == office.right(number)["dates"]["publication_date"] \
        .replace("-09-", "-12-")  # three months (P3M) after publication
    page = client.post(path, data={"party": did_key_url(key.public_key),
                                   "grounds": "Earlier mark AURORA, class 32", "card": APPROVED})
    assert page.status_code == 200, page.text
    [step] = plan_of(page.text)
    body = step["body"]
    assert step["type"] == "right.act" and body["action"] == "file_opposition"
    assert body["note"] == "Earlier mark AURORA, class 32"
    assert body["payment"]["amount"] == 32_000 and body["payment"]["reference"].startswith("TEST-")
    office.node.submit(key, "right.act", body)  # as the browser or ipledger submit would
    right = office.right(number)
    assert right["state"] == "opposed" and right["history"][-1]["by"] == party
    assert right["history"][-1]["note"] == "Earlier mark AURORA, class 32"


@pytest.mark.parametrize(("form", "field", "says"), [
    ({"party": "nobody"}, "party", "a party id like"),
    ({"party": "P" + "0" * 20}, "party", "no party P00000000000000000000"),
    ({"grounds": ""}, "grounds", "required"),
    ({"grounds": "x" * 2001}, "grounds", "2000"),  # the entry schema's limit on a note
    ({"card": DECLINED}, "card", "declined"),
])
def test_bad_input_is_a_field_error_and_changes_nothing(
        office: Office, client: TestClient, opponent: tuple[SigningKey, str],
        form: dict[str, str], field: str, says: str) -> None:
    number = published(office)
    size = office.node.ledger.store.tree_size()
    good = {"party": opponent[1], "grounds": "Earlier mark", "card": APPROVED}
    page = client.post(f"/oppose/EM/trademark/{number}", data={**good, **form})
    assert page.status_code == 400
    error = re.search(rf'data-error-for="{field}">([^<]*)<', page.text)
    assert error is not None and says in error[1], page.text
    assert office.node.ledger.store.tree_size() == size
    assert office.right(number)["state"] == "opposition_period"


def test_no_opposition_before_publication_or_after_the_period(
        office: Office, client: TestClient, opponent: tuple[SigningKey, str]) -> None:
    early = file_trademark(office)
    closed = client.get(f"/oppose/EM/trademark/{early}")
    assert closed.status_code == 200 and 'id="closed"' in closed.text
    assert "is not possible from &#39;filed&#39;" in closed.text  # fee_quote's words
    refused = client.post(f"/oppose/EM/trademark/{early}",
                          data={"party": opponent[1], "grounds": "x", "card": APPROVED})
    assert refused.status_code == 400
    number = published(office)
    office.tick("2027-06-01")  # the three months are over: the register registered it
    assert office.right(number)["state"] == "registered"
    size = office.node.ledger.store.tree_size()
    late = client.post(f"/oppose/EM/trademark/{number}",
                       data={"party": opponent[1], "grounds": "x", "card": APPROVED})
    assert late.status_code == 400 and "is not possible from &#39;registered&#39;" in late.text
    assert 'id="oppose-link"' not in client.get(f"/rights/EM/trademark/{number}").text
    assert office.node.ledger.store.tree_size() == size
    assert client.get("/oppose/EM/trademark/999999999").status_code == 404
