"""The back office without a browser: the examiner's acceptance in the register, the work
queues, sign-in and refusal of non-staff, and mail to the parties through a local SMTP sink
(sent after the entry commits; a dead mail server changes nothing in the ledger)."""

from __future__ import annotations

import json
import smtplib
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ipledger.api.app import create_app
from ipledger.config import NotificationsConfig
from ipledger.identity import SigningKey, did_key_url
from ipledger.identity.challenge import sign_challenge
from ipledger.services.queue_index import QueueIndex
from ipledger.services.work_queues import QueuePage, WorkQueues
from ipledger.web.i18n import catalogues
from ipledger.web.notifications import Notifier, _transient
from tests.registry.conftest import Node
from tests.registry.test_rights_lifecycle import Office, file_trademark
from tests.web.smtp_sink import SmtpSink


def queues(node: Node) -> WorkQueues:
    return WorkQueues(node.ledger.store.read_record, node.ledger.store.record_ids)


class Indexed:
    """The queue index, brought to the committed state before each read (as the pages do)."""

    def __init__(self, node: Node, path: Path) -> None:
        self.node, self.index = node, QueueIndex(path)

    def counts(self, offices: list[str]) -> dict[str, int]:
        self.index.refresh(self.node.ledger.store)  # type: ignore[arg-type]
        return self.index.counts(offices)

    def page(self, queue: str, offices: list[str], **how: Any) -> QueuePage:
        self.index.refresh(self.node.ledger.store)  # type: ignore[arg-type]
        return self.index.page(queue, offices, **how)


# -- the register: the examiner's acceptance -----------------------------------------------


def test_accept_records_examination_passed_for_publication(office: Office) -> None:
    number = file_trademark(office)
    office.act(office.examiner, number, "check_formalities")
    refusal = office.refuse(office.registrar, number, "publish")  # not examined yet
    assert refusal.status == 409
    office.act(office.examiner, number, "start_examination")
    # Only an examiner accepts; the registrar's attempt is refused and changes nothing.
    assert office.refuse(office.registrar, number, "accept").status == 403
    office.act(office.examiner, number, "accept", note="distinctive; no earlier conflict")
    right = office.right(number)
    assert right["state"] == "under_examination" and right["examination"]["accepted"]
    assert right["history"][-1]["note"] == "distinctive; no earlier conflict"
    assert office.refuse(office.examiner, number, "accept").rule == "already-exists"
    office.act(office.registrar, number, "publish")  # no attestation needed any more
    assert office.right(number)["state"] == "opposition_period"


def test_a_note_is_bounded(office: Office) -> None:
    number = file_trademark(office)
    refusal = office.refuse(office.examiner, number, "check_formalities", note="x" * 2001)
    assert refusal.pointer == "/body/note"


# -- work queues --------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["scan", "index"])
def test_queues_follow_the_procedure_with_filters_and_pages(
        office: Office, source: str, tmp_path: Path) -> None:
    numbers = [file_trademark(office) for _ in range(3)]
    q: WorkQueues | Indexed = queues(office.node) if source == "scan" \
        else Indexed(office.node, tmp_path / "queues.sqlite")
    assert q.counts(["EM"])["formalities"] == 3
    office.act(office.examiner, numbers[0], "check_formalities")
    office.act(office.examiner, numbers[1], "check_formalities")
    office.act(office.examiner, numbers[1], "start_examination")
    office.act(office.examiner, numbers[1], "accept")
    counts = q.counts(["EM"])
    assert (counts["formalities"], counts["examination"], counts["publication"]) == (1, 1, 1)
    office.act(office.registrar, numbers[1], "publish")
    office.node.submit(office.applicant, "right.act", {
        "office": "EM", "kind": "trademark", "number": numbers[1],
        "action": "file_opposition", "payment": {"amount": 32_000, "currency": "EUR"}})
    assert q.counts(["EM"])["oppositions"] == 1
    assert q.counts(["XX"]) == dict.fromkeys(q.counts(["EM"]), 0)  # other offices: nothing
    office.act(office.examiner, numbers[0], "start_examination")
    office.act(office.examiner, numbers[2], "check_formalities")
    first = q.page("examination", ["EM"], size=1)
    assert (first.total, first.pages, first.page) == (2, 2, 1)
    second = q.page("examination", ["EM"], size=1, page=2)
    assert [i.number for i in first.items + second.items] == sorted(numbers[::2])
    assert q.page("examination", ["EM"], text=numbers[2][-3:]).total >= 1
    assert q.page("examination", ["EM"], text="AURORA").total == 2  # the mark's text
    assert q.page("examination", ["EM"], text="NO SUCH MARK").total == 0
    assert q.page("examination", ["EM"], kind="patent").total == 0
    assert q.page("examination", ["EM"], size=1, page=99).page == 2  # clamped to the last


def test_the_queue_index_reads_only_what_changed_and_rebuilds(
        office: Office, tmp_path: Path) -> None:
    numbers = [file_trademark(office) for _ in range(3)]
    store = office.node.ledger.store
    feed: Any = store
    filed = store.tree_size()
    index = QueueIndex(tmp_path / "queues.sqlite")
    assert index.refresh(feed) >= 3 and index.tree_size == filed
    assert index.refresh(feed) == 0  # nothing new: nothing re-read
    office.act(office.examiner, numbers[0], "check_formalities")
    assert index.refresh(feed) == 1
    scan = queues(office.node)
    assert index.counts(["EM"]) == scan.counts(["EM"])
    for queue in ("formalities", "examination"):
        assert index.page(queue, ["EM"]) == scan.page(queue, ["EM"])
    assert index.page("formalities", ["EM"], text="\x00").total == 0
    index.close()
    for suffix in ("", "-wal", "-shm"):  # derived data: delete it and it is rebuilt
        (tmp_path / f"queues.sqlite{suffix}").unlink(missing_ok=True)
    again = QueueIndex(tmp_path / "queues.sqlite")
    again.refresh(feed, filed)  # as of an earlier tree size: the state then
    assert again.counts(["EM"])["formalities"] == 3
    again.refresh(feed)
    assert again.counts(["EM"]) == scan.counts(["EM"])
    again.close()


# -- sign-in and refusal -------------------------------------------------------------------


@pytest.fixture
def client(office: Office) -> Iterator[TestClient]:
    with TestClient(create_app(office.node.ledger)) as c:
        yield c


def session_token(client: TestClient, key: SigningKey) -> str:
    challenge = client.post("/v1/auth/challenge").json()
    did = did_key_url(key.public_key)
    session = client.post("/v1/auth/session", json={
        "did": did, "challenge": challenge["challenge"],
        "signature": sign_challenge(key, challenge["origin"], challenge["challenge"])})
    assert session.status_code == 201, session.text
    token: str = session.json()["token"]
    return token


def sign_in(client: TestClient, key: SigningKey) -> None:
    answer = client.post("/office/session", data={"token": session_token(client, key)},
                         follow_redirects=False)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/office" in cookie


def test_staff_sign_in_and_see_their_queues(office: Office, client: TestClient) -> None:
    number = file_trademark(office)
    signin = client.get("/office")
    assert catalogues()["en"].text("office.signin_title") in signin.text
    # Another site's page cannot open a session here (login CSRF), even with a valid token.
    for headers in ({"Origin": "https://elsewhere.example"}, {"Sec-Fetch-Site": "cross-site",
                                                               "Origin": "null"}):
        cross = client.post("/office/session", headers=headers, follow_redirects=False,
                            data={"token": session_token(client, office.examiner)})
        assert cross.status_code == 403 and "set-cookie" not in cross.headers
    sign_in(client, office.examiner)
    home = client.get("/office")
    assert home.status_code == 200, home.text
    assert office.parties["examiner"] in home.text and "Examiner" in home.text
    assert 'data-queue="formalities"' in home.text
    page = client.get("/office/queues/formalities")
    assert number in page.text and 'data-batch-action="check_formalities"' in page.text
    record = client.get(f"/office/rights/EM/trademark/{number}")
    assert record.status_code == 200
    assert 'data-action="check_formalities"' in record.text
    assert 'data-action="refuse"' in record.text
    assert 'value="applicant_heard"' in record.text  # refusal: the official attests it
    # The same decision by the command line: the entry body, ready to sign.
    body = json.dumps({"office": "EM", "kind": "trademark", "number": number,
                       "action": "check_formalities"})
    assert f"ipledger submit right.act --body '{body}'" in unescape(record.text)
    french = client.get("/office/queues/formalities?lang=fr")
    assert catalogues()["fr"].text("office.queue.formalities") in french.text
    assert client.get("/office/queues/nonsense").status_code == 404
    assert home.headers["cache-control"] == "private, no-store"
    client.post("/office/signout")
    assert "staff-bar" not in client.get("/office").text
    assert "data-signin-button" in client.get(f"/office/rights/EM/trademark/{number}").text


def test_a_party_without_a_staff_role_is_refused_and_nothing_changes(
        office: Office, client: TestClient) -> None:
    number = file_trademark(office)
    size = office.node.ledger.store.tree_size()
    sign_in(client, office.applicant)
    for path in ("/office", "/office/queues/formalities", f"/office/rights/EM/trademark/{number}"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "holds no registrar or examiner role" in refused.text
        assert office.parties["applicant"] in refused.text
    # Signing a staff decision anyway: the ledger refuses it (RFC 9457), nothing is written.
    rejection = office.refuse(office.applicant, number, "check_formalities")
    assert (rejection.status, rejection.rule) == (403, "not-authorized")
    assert office.node.ledger.store.tree_size() == size
    bad = client.post("/office/session", data={"token": "forged"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"


# -- mail to the parties -------------------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def mail_config(port: int) -> NotificationsConfig:
    return NotificationsConfig(host="127.0.0.1", port=port, from_address="office@em.test",
                               timeout_s=5)


def test_decisions_are_mailed_to_the_parties_in_their_language(
        office: Office, sink: SmtpSink) -> None:
    node = office.node
    node.submit(office.applicant, "party.update", {"email": "applicant@example.org",
                                                   "language": "fr"})
    number = file_trademark(office)
    notifier = Notifier(node.ledger, mail_config(sink.port), "https://register.test").start()
    try:
        office.act(office.examiner, number, "check_formalities")
        office.act(office.examiner, number, "refuse", attest=["applicant_heard"],
                   note="le signe est descriptif")
        assert notifier.wait_idle(node.ledger.store.tree_size())
        mails = sink.wait_for(2)
    finally:
        notifier.close()
    fr = catalogues()["fr"]
    assert [m["To"] for m in mails] == ["applicant@example.org"] * 2
    assert sink.envelopes[0] == ("office@em.test", ["applicant@example.org"])
    refusal = mails[1]
    assert refusal["Subject"] == fr.text(
        "mail.subject", right=f"{fr.text('kind.trademark')} EM {number} «AURORA BREW»",
        action=fr.text("action.refuse"))
    assert refusal["Content-Language"] == "fr"
    text = refusal.get_content()
    assert number in text and fr.text("action.refuse") in text
    assert "le signe est descriptif" in text and fr.text("status.refused") in text
    assert fr.text("action.check_formalities") in mails[0]["Subject"]


def test_a_dead_mail_server_changes_nothing_in_the_ledger(office: Office) -> None:
    node = office.node
    node.submit(office.applicant, "party.update", {"email": "applicant@example.org"})
    number = file_trademark(office)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = Notifier(node.ledger, mail_config(port)).start()
    try:
        sequenced = office.act(office.examiner, number, "check_formalities")
        assert notifier.wait_idle(sequenced.index + 1)
        assert notifier.sent == 0
        assert office.right(number)["state"] == "formalities_checked"
        office.act(office.examiner, number, "start_examination")  # the ledger goes on
    finally:
        notifier.close()


def free_port() -> int:
    with socket.socket() as s:  # a port nothing listens on (yet)
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_mail_the_server_could_not_take_is_retried_with_backoff(
        office: Office, tmp_path: Path) -> None:
    node = office.node
    node.submit(office.applicant, "party.update", {"email": "applicant@example.org"})
    number = file_trademark(office)
    port = free_port()
    config = replace(mail_config(port), retry_initial_s=0.2, retry_max_s=0.4)
    notifier = Notifier(node.ledger, config, state=tmp_path / "mail.json").start()
    try:
        sequenced = office.act(office.examiner, number, "check_formalities")
        assert notifier.wait_idle(sequenced.index + 1)
        assert (notifier.sent, notifier.waiting) == (0, 1)  # sink down: kept for a retry
        saved = json.loads((tmp_path / "mail.json").read_text())
        assert [m["to"] for m in saved["mails"]] == ["applicant@example.org"]
        with SmtpSink(port) as sink:  # the server comes up: the next attempt delivers
            assert notifier.wait_delivered(10)
            mails = sink.wait_for(1)
            time.sleep(0.5)  # longer than any backoff: nothing more comes
            assert len(sink.messages) == 1
    finally:
        notifier.close()
    assert number in mails[0]["Subject"] and notifier.sent == 1
    assert json.loads((tmp_path / "mail.json").read_text())["mails"] == []


def test_only_transient_smtp_failures_are_retried() -> None:
    # RFC 5321 4.2.1: 4yz is a transient negative completion reply, 5yz a permanent one.
    assert _transient(smtplib.SMTPResponseException(451, b"try again later"))
    assert not _transient(smtplib.SMTPResponseException(550, b"no such user"))
    assert _transient(ConnectionRefusedError()) and _transient(
        smtplib.SMTPServerDisconnected())
    assert _transient(smtplib.SMTPRecipientsRefused({"a@x.test": (452, b"full")}))
    assert not _transient(smtplib.SMTPRecipientsRefused({"a@x.test": (452, b"full"),
                                                         "b@x.test": (550, b"unknown")}))


def test_entries_committed_while_the_notifier_was_down_are_mailed_once(
        office: Office, sink: SmtpSink, tmp_path: Path) -> None:
    node, state = office.node, tmp_path / "mail.json"
    node.submit(office.applicant, "party.update", {"email": "applicant@example.org"})
    number = file_trademark(office)
    Notifier(node.ledger, mail_config(sink.port), state=state).start().close()
    office.act(office.examiner, number, "check_formalities")  # the node's mailer is down
    office.act(office.examiner, number, "start_examination")
    size = node.ledger.store.tree_size()
    for _ in range(2):  # restarted twice: the two decisions are mailed, once each
        notifier = Notifier(node.ledger, mail_config(sink.port), state=state).start()
        try:
            assert notifier.wait_idle(size) and notifier.wait_delivered()
        finally:
            notifier.close()
    subjects = [m["Subject"] for m in sink.wait_for(2)]
    assert len(sink.messages) == 2
    en = catalogues()["en"]
    assert en.text("action.check_formalities") in subjects[0]
    assert en.text("action.start_examination") in subjects[1]
    # A mail being handed over when the node stopped is not sent again (at most once).
    saved = json.loads(state.read_text())
    saved["sending"] = {"to": "x@example.org", "subject": "s", "body": "b", "language": "en"}
    state.write_text(json.dumps(saved))
    Notifier(node.ledger, mail_config(sink.port), state=state).start().close()
    assert len(sink.messages) == 2


def test_parties_without_a_mail_address_get_none(office: Office, sink: SmtpSink) -> None:
    number = file_trademark(office)
    notifier = Notifier(office.node.ledger, mail_config(sink.port)).start()
    try:
        sequenced: Any = office.act(office.examiner, number, "check_formalities")
        assert notifier.wait_idle(sequenced.index + 1)
    finally:
        notifier.close()
    assert sink.messages == []
    rejection = office.node.refuse(office.applicant, "party.update", {"email": "not-a-mail"})
    assert rejection.pointer == "/body/email"
