"""Asks other offices' witnesses to cosign this node's checkpoints (C2SP tlog-witness client).

After each checkpoint this node publishes, a background thread sends it to every
configured witness with a consistency proof from the size that witness last
cosigned (learning that size from a 409 ``text/x.tlog.size`` answer when unknown or
stale), verifies the returned cosignature against the witness's key, and keeps it;
``/tlog/checkpoint`` then serves the checkpoint with those cosignature lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry, Counter

from ipledger.codec import b64_encode
from ipledger.identity import CosignatureVerifier, NoteError, open_note
from ipledger.ledger import Ledger
from ipledger.ledger.worker import ConditionWorker
from ipledger.storage.base import StorageError, StoredCheckpoint
from ipledger.storage.witness import WitnessStore, WitnessTarget

log = logging.getLogger(__name__)

SIZE_MEDIA_TYPE = "text/x.tlog.size"
DEFAULT_RETRY_S = 2.0


def add_checkpoint_body(old_size: int, proof: list[bytes], note: str) -> bytes:
    """The tlog-witness request: ``old <size>``, proof lines, an empty line, the note."""
    lines = [f"old {old_size}\n", *(b64_encode(h) + "\n" for h in proof), "\n", note]
    return "".join(lines).encode("utf-8")


@dataclass(frozen=True)
class PushResult:
    url: str
    ok: bool
    detail: str


class WitnessClient(ConditionWorker):
    """Pushes this node's newest checkpoint to its witnesses, retrying every ``retry_s``."""

    def __init__(self, ledger: Ledger, store: WitnessStore, *, timeout_s: float = 5.0,
                 retry_s: float = DEFAULT_RETRY_S,
                 registry: CollectorRegistry | None = None,
                 http: httpx.Client | None = None) -> None:
        super().__init__("witness-client")
        self.ledger = ledger
        self.store = store
        self.retry_s = retry_s
        self._http = http or httpx.Client(timeout=timeout_s)
        self._latest: StoredCheckpoint | None = None
        r = registry or CollectorRegistry()
        self.received = Counter(
            "ipledger_witness_cosignatures_received", "Verified cosignatures of this node's "
            "checkpoints received from its witnesses", registry=r)
        self.failures = Counter(
            "ipledger_witness_push_failures", "Checkpoints a witness did not cosign (refused, "
            "unreachable or a bad answer)", registry=r)

    def checkpoint_published(self, checkpoint: StoredCheckpoint) -> None:
        """CheckpointPublisher listener (signer thread): note it, never block."""
        with self._cond:
            self._latest = checkpoint
            self._cond.notify_all()

    def start(self) -> None:
        self.ledger.checkpoints.add_listener(self.checkpoint_published)
        self.checkpoint_published(self.ledger.latest_checkpoint())
        super().start()

    def stop(self) -> None:
        super().stop()
        self._http.close()

    def _run(self) -> None:
        pushed: StoredCheckpoint | None = None
        while True:
            with self._cond:
                if not self._stopping and self._latest is pushed:
                    self._cond.wait(self.retry_s)
                if self._stopping:
                    return
                latest = self._latest
            if latest is None:
                continue
            try:
                self.push_all(latest)  # after a timeout: retries the witnesses still missing
            except StorageError as exc:
                log.error("witness state unavailable: %s", exc)
            except Exception:  # the thread must survive anything one exchange does
                log.exception("pushing checkpoint %d to witnesses failed", latest.tree_size)
            pushed = latest

    def push_all(self, checkpoint: StoredCheckpoint) -> list[PushResult]:
        """Push ``checkpoint`` to every witness that has not cosigned it yet."""
        results = []
        for target in self.store.targets():
            if target.size is not None and target.size >= checkpoint.tree_size:
                continue  # cosigned already (or the witness is ahead: nothing to prove)
            result = self.push(target, checkpoint)
            if not result.ok:
                self.failures.inc()
                log.warning("witness %s did not cosign size %d: %s", target.url,
                            checkpoint.tree_size, result.detail)
            results.append(result)
        return results

    def push(self, target: WitnessTarget, checkpoint: StoredCheckpoint) -> PushResult:
        """One add-checkpoint exchange (two if the witness corrects our idea of its size)."""
        try:
            verifier = CosignatureVerifier.from_vkey(target.vkey)
        except NoteError as exc:
            return PushResult(target.url, False, f"bad witness key: {exc}")
        size = checkpoint.tree_size
        old = target.size if target.size is not None and target.size <= size else 0
        url = target.url.rstrip("/") + "/add-checkpoint"
        for _ in range(2):
            proof = self.ledger.consistency_proof(old, size) if 0 < old < size else []
            try:
                resp = self._http.post(url, content=add_checkpoint_body(old, proof,
                                                                        checkpoint.note))
            except httpx.HTTPError as exc:
                return PushResult(target.url, False, f"unreachable: {exc}")
            media_type = resp.headers.get("content-type", "").split(";")[0].strip()
            if resp.status_code == 409 and media_type == SIZE_MEDIA_TYPE:
                known = resp.text.strip()
                if not known.isdigit():
                    return PushResult(target.url, False, f"bad 409 size {known[:40]!r}")
                old = int(known)
                if old > size:
                    self.store.set_target_size(target.url, old)
                    return PushResult(target.url, False, f"the witness has cosigned size {old}, "
                                      f"more than this log's {size}")
                continue
            if resp.status_code != 200:
                return PushResult(target.url, False, f"HTTP {resp.status_code}: "
                                  f"{resp.text[:300]}")
            return self._keep(target, verifier, checkpoint, resp.text)
        return PushResult(target.url, False, "the witness's size kept changing")

    def _keep(self, target: WitnessTarget, verifier: CosignatureVerifier,
              checkpoint: StoredCheckpoint, answer: str) -> PushResult:
        try:
            opened = open_note(checkpoint.note + answer, [verifier])
        except NoteError as exc:
            return PushResult(target.url, False, f"no valid cosignature in the answer: {exc}")
        line = next(s for s in opened.verified if s.key_id == verifier.key_id).line()
        self.store.cosigned(target, checkpoint.tree_size, line)
        self.received.inc()
        return PushResult(target.url, True, "cosigned")

    def cosigned_note(self, checkpoint: StoredCheckpoint) -> str:
        """``checkpoint``'s signed note with the cosignatures kept for it."""
        return checkpoint.note + "".join(self.store.cosignatures_at(checkpoint.tree_size))
