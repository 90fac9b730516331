"""A background thread that sleeps on a condition until there is work or a stop."""

from __future__ import annotations

import threading


class ConditionWorker:
    """Base for the sequencer and the checkpoint signer: ``start``, ``stop``, ``_run``."""

    def __init__(self, name: str) -> None:
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def running(self) -> bool:
        """The thread is alive and has not been asked to stop (for readiness checks)."""
        return self._thread.is_alive() and not self._stopping

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()
