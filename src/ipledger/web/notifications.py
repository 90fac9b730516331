"""Mail to parties about decisions on their rights, sent after the entry is in the ledger.

:class:`Notifier` listens to the ledger's commits (``Ledger.add_commit_listener``: the
sequencer only hands it the new tree size, so it never blocks or changes the ledger), reads
the committed entries in its own thread and, for each lifecycle step of a right (a
``right.act`` or an automatic ``system.right_event``), writes to the right's owners and
representatives (and, for an opposition, to the opponents) at the mail address of their
party record, in the party's language when the record names one the web catalogues have.
Mail goes out by SMTP (``smtplib``, ``[notifications]`` in the configuration). The node keeps
its position and undelivered mails in ``DATA/notifications.json`` (:class:`Outbox`):
entries committed while it was down are mailed after a restart, each at most once, and a
delivery that fails transiently is retried with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from ipledger.codec import parse_json
from ipledger.config import Config, NotificationsConfig
from ipledger.ledger import Ledger
from ipledger.registry.access import Reader, parties_to_the_file
from ipledger.registry.records import party_details, party_record, right_record
from ipledger.search.fields import title_of
from ipledger.web.i18n import Catalogue, negotiate

log = logging.getLogger("ipledger.notifications")

STATE_FILE = "notifications.json"  # in the data directory: position and undelivered mails
NOTIFIED_TYPES = ("right.act", "system.right_event")
_OPPOSITION_ACTIONS = ("file_opposition", "withdraw_opposition", "reject_opposition",
                       "uphold_opposition")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    language: str


def _json(read: Reader, record_id: str) -> dict[str, Any] | None:
    raw = read(record_id)
    return None if raw is None else dict(parse_json(raw))


def _recipients(right: Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
    parties = set(parties_to_the_file(right))
    if event["action"] in _OPPOSITION_ACTIONS:
        parties |= {h["by"] for h in right.get("history", [])
                    if h["action"] == "file_opposition" and "by" in h}
    return sorted(parties)


def _right_label(lang: Catalogue, right: Mapping[str, Any]) -> str:
    kind = lang.text(f"kind.{right['kind']}")
    title = title_of(right)
    label = f"{kind} {right['office']} {right['number']}"
    return f"{label} «{title}»" if title else label


def _label(lang: Catalogue, group: str, code: str) -> str:
    key = f"{group}.{code}"
    text = lang.text(key)
    return code.replace("_", " ") if text == key else text


def mails_for_entry(read: Reader, entry: Mapping[str, Any], base_url: str = "") -> list[Mail]:
    """The mails one committed entry calls for (none for entries that are not decisions)."""
    if entry.get("type") not in NOTIFIED_TYPES:
        return []
    body, index = entry["body"], entry["seq"]["index"]
    right = _json(read, right_record(body["office"], body["kind"], body["number"]))
    if right is None:
        return []
    event = next((h for h in right.get("history", []) if h.get("index") == index), None)
    if event is None:  # e.g. an entry the register answered with no lifecycle step
        return []
    mails = []
    for party in _recipients(right, event):
        record = _json(read, party_record(party))
        details = party_details(record) if record else {}
        address = details.get("email")
        if not address:
            continue
        lang = negotiate(details.get("language"), None)
        what = _right_label(lang, right)
        action = _label(lang, "action", event["action"])
        lines = [
            lang.text("mail.greeting", name=details.get("name", party)),
            "",
            lang.text("mail.decision", right=what, action=action, date=event["date"]),
            lang.text("mail.status", status=_label(lang, "status", event["state"])),
        ]
        if event.get("note"):
            lines.append(lang.text("mail.note", note=event["note"]))
        lines.append(lang.text("mail.entry", index=index))
        if base_url and "data" in right:
            lines += ["", lang.text("mail.link", url=f"{base_url}/rights/{right['office']}/"
                                                  f"{right['kind']}/{right['number']}")]
        lines += ["", lang.text("mail.signature")]
        mails.append(Mail(address, lang.text("mail.subject", right=what, action=action),
                          "\n".join(lines) + "\n", lang.code))
    return mails


def message(mail: Mail, sender: str) -> EmailMessage:
    """``mail`` as an RFC 5322 message (UTF-8, with its language)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = " ".join(mail.subject.split())  # no line breaks from a mark's text
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(mail.body)
    msg["Content-Language"] = mail.language  # after set_content, which resets Content-*
    return msg


def _transient(exc: BaseException) -> bool:
    """Whether a failed delivery is worth retrying: the server could not be reached, went
    away, or answered 4xx (RFC 5321 4.2.1: a transient failure); 5xx is final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (OSError, smtplib.SMTPServerDisconnected))


@dataclass
class _Pending:
    mail: Mail
    attempts: int = 0
    due: float = 0.0  # time.monotonic() of the next attempt


class Outbox:
    """The notifier's position in the ledger and the mails not yet delivered, in a JSON file
    replaced atomically. A mail being handed to the server is written down first: after a
    crash in that moment it is dropped, not sent twice (at most once)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.position: int | None = None
        self.mails: list[Mail] = []
        if path is not None and path.exists():
            saved = json.loads(path.read_text("utf-8"))
            self.position = int(saved["position"])
            self.mails = [Mail(**m) for m in saved["mails"]]
            if saved.get("sending"):
                log.warning("a mail to %s may not have been delivered before the node "
                            "stopped; not sent again", saved["sending"]["to"])

    def save(self, sending: Mail | None = None) -> None:
        if self.path is None:
            return
        text = json.dumps({"position": self.position, "mails": [asdict(m) for m in self.mails],
                           "sending": None if sending is None else asdict(sending)})
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


class Notifier:
    """Follows the ledger and mails each decision's parties.

    With a ``state`` file it resumes where it stopped (entries committed while the node was
    down are mailed after a restart, each once) and keeps undelivered mails across restarts;
    without one it starts at the ledger's current size. A delivery that fails transiently is
    retried after ``retry_initial_s``, doubling up to ``retry_max_s``, ``retry_attempts``
    times in all."""

    def __init__(self, ledger: Ledger, config: NotificationsConfig, base_url: str = "",
                 state: Path | None = None) -> None:
        self.ledger = ledger
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.outbox = Outbox(state)
        if self.outbox.position is None:  # first start: not the whole history
            self.outbox.position = ledger.store.tree_size()
            self.outbox.save()
        self.cursor: int = self.outbox.position
        self._pending = [_Pending(m) for m in self.outbox.mails]
        self.sent = 0
        self.dropped = 0
        self._sizes: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._stopped = False
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="ipledger-notifier", daemon=True)

    def start(self) -> Notifier:
        self.ledger.add_commit_listener(self._committed)
        self._sizes.put(self.ledger.store.tree_size())  # catch up with what came meanwhile
        self._thread.start()
        return self

    def _committed(self, size: int, root: bytes, state_root: bytes | None) -> None:
        if not self._stopped:  # called in the sequencer: only hand the size over
            self._sizes.put(size)

    def _run(self) -> None:
        while True:
            due = min((p.due for p in self._pending), default=None)
            try:
                size = self._sizes.get(timeout=None if due is None
                                       else max(0.0, due - time.monotonic()))
            except queue.Empty:
                size = self.cursor
            if size is None:
                return
            try:
                if size > self.cursor:
                    self._queue_up_to(size)
                self._deliver()
            except Exception:  # a mail problem must not stop the notifier
                log.exception("notifications up to entry %d failed", size)
            with self._idle:
                self._idle.notify_all()

    def _queue_up_to(self, size: int) -> None:
        read = self.ledger.store.read_record
        mails: list[Mail] = []
        for raw in self.ledger.entries(self.cursor, size):
            mails += mails_for_entry(read, parse_json(raw), self.base_url)
        self._pending += [_Pending(m) for m in mails]
        self.outbox.mails = [p.mail for p in self._pending]
        self.outbox.position = size
        self.outbox.save()
        self.cursor = size

    def _deliver(self) -> None:
        now = time.monotonic()
        due = [p for p in self._pending if p.due <= now]
        if not due or not self.config.host:
            return
        try:
            with smtplib.SMTP(self.config.host, self.config.port,
                              timeout=self.config.timeout_s) as smtp:
                if self.config.starttls:  # verify the certificate (smtplib's default does not)
                    smtp.starttls(context=ssl.create_default_context())
                while due:
                    pending = due[0]
                    self._forget(pending, sending=True)
                    try:
                        smtp.send_message(message(pending.mail, self.config.from_address))
                    except smtplib.SMTPServerDisconnected:
                        raise
                    except smtplib.SMTPException as exc:
                        self._failed(pending, exc)
                    else:
                        self.sent += 1
                    due.pop(0)
                    self.outbox.save()
        except (OSError, smtplib.SMTPException) as exc:
            for pending in due:
                self._failed(pending, exc)
            self.outbox.save()

    def _forget(self, pending: _Pending, sending: bool = False) -> None:
        self._pending.remove(pending)
        self.outbox.mails = [p.mail for p in self._pending]
        self.outbox.save(pending.mail if sending else None)

    def _failed(self, pending: _Pending, exc: BaseException) -> None:
        pending.attempts += 1
        if not _transient(exc) or pending.attempts >= self.config.retry_attempts:
            log.warning("mail to %s dropped after %d attempt(s): %s", pending.mail.to,
                        pending.attempts, exc)
            self.dropped += 1
            if pending in self._pending:
                self._forget(pending)
            return
        delay = min(self.config.retry_max_s,
                    self.config.retry_initial_s * 2 ** (pending.attempts - 1))
        log.warning("mail to %s not delivered (%s); retry in %.1f s", pending.mail.to, exc,
                    delay)
        pending.due = time.monotonic() + delay
        if pending not in self._pending:
            self._pending.append(pending)
            self.outbox.mails = [p.mail for p in self._pending]

    @property
    def waiting(self) -> int:
        """Mails not delivered yet (waiting for a retry)."""
        return len(self._pending)

    def wait_idle(self, size: int, timeout: float = 10.0) -> bool:
        """Wait until entries up to ``size`` have been handled (for tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self.cursor >= size, timeout)

    def wait_delivered(self, timeout: float = 10.0) -> bool:
        """Wait until no mail waits for a retry (for tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def close(self) -> None:
        self._stopped = True
        self._sizes.put(None)
        self._thread.join(10)


def start_notifier(ledger: Ledger, settings: Config) -> Notifier | None:
    """The node's notifier when ``[notifications] host`` is set, started; else None."""
    if not settings.notifications.host:
        return None
    return Notifier(ledger, settings.notifications, settings.server.base_url(),
                    settings.data_dir / STATE_FILE).start()
