"""Run stateless validation on every core: worker processes (no GIL) or threads."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.errors import Rejection
from ipledger.ledger.validation import ValidatedEntry, Validator

Outcome = ValidatedEntry | Rejection

_worker_validator: Validator | None = None


def _init_worker(origin: str, entry_types: Mapping[str, EntryType], parent: int) -> None:
    global _worker_validator  # one validator per worker process
    _worker_validator = Validator(origin, entry_types)
    exit_with_parent(parent)


def exit_with_parent(parent: int) -> None:
    """A node killed with SIGKILL must not leave its validation workers behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)

    def watch() -> None:  # portable fallback
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _validate_in_worker(raws: Sequence[bytes]) -> list[Outcome]:
    assert _worker_validator is not None, "worker not initialised"
    return _worker_validator.validate_many(raws)


class ValidationPool:
    """``submit(raws)`` -> future of one outcome per entry, in order.

    Processes: parsing and signature checks run outside the node's GIL, so the
    sequencer and HTTP threads keep a core's worth of Python to themselves.
    """

    def __init__(self, validator: Validator, workers: int | None = None,
                 processes: bool = True) -> None:
        self.validator = validator
        self.workers = workers or os.cpu_count() or 2
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: Executor = self._new_executor()
        # Entries per task in flight, for the backlog gauge: one dict insert and pop per
        # task (atomic under the GIL), summed only when metrics are scraped.
        self._in_flight: dict[object, int] = {}

    def backlog(self) -> int:
        """Entries submitted for validation whose outcome is not back yet."""
        return sum(self._in_flight.copy().values())

    def _new_executor(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(self.workers, thread_name_prefix="validate")
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
            initializer=_init_worker,
            initargs=(self.validator.origin, self.validator.entry_types, os.getpid()),
        )

    def submit(self, raws: Sequence[bytes]) -> Future[list[Outcome]]:
        token = object()
        self._in_flight[token] = len(raws)
        try:
            done = self._submit(raws)
        except BaseException:
            self._in_flight.pop(token, None)
            raise
        done.add_done_callback(lambda _: self._in_flight.pop(token, None))
        return done

    def _submit(self, raws: Sequence[bytes]) -> Future[list[Outcome]]:
        if not self.processes:
            return self._executor.submit(self.validator.validate_many, raws)
        try:
            return self._executor.submit(_validate_in_worker, list(raws))
        except BrokenProcessPool:
            # A worker died (OOM killer, signal): replace the pool and go on.
            with self._lock:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
            return self._executor.submit(_validate_in_worker, list(raws))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
