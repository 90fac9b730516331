"""Run stateless validation on every core: worker processes (no GIL) or threads."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

from ipledger.ledger.entry_types import EntryType
from ipledger.ledger.errors import Rejection
from ipledger.ledger.validation import ValidatedEntry, Validator

Outcome = ValidatedEntry | Rejection

_worker_validator: Validator | None = None


def _init_worker(origin: str, entry_types: Mapping[str, EntryType]) -> None:
    global _worker_validator
    _worker_validator = Validator(origin, entry_types)


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
        self._executor: Executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(self.workers, thread_name_prefix="validate")
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
            initializer=_init_worker,
            initargs=(self.validator.origin, self.validator.entry_types),
        )

    def submit(self, raws: Sequence[bytes]) -> Future[list[Outcome]]:
        if self.processes:
            return self._executor.submit(_validate_in_worker, list(raws))
        return self._executor.submit(self.validator.validate_many, raws)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
