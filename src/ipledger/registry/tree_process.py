"""The register's state tree in a worker process, beside the rules.

Hashing the tree and storing its nodes is about a third of the sequencer's work, all of it
under one GIL with the rules. Here one worker process updates the tree, batch after batch
in submission order (one worker, so its queue is FIFO), and stores each batch's new nodes
itself, in its own transaction, before it answers with the root. The batch's own write
then waits for that root, so a stored state root always names stored nodes. Nodes are
immutable and content-addressed: those of a batch that never commits are unreferenced,
and written again identically when the batch is (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ipledger.ledger.validation_pool import exit_with_parent
from ipledger.registry.smt import EMPTY_ROOT, StateTree
from ipledger.registry.tree_nodes import StoreNodes, next_version
from ipledger.storage.base import StateWrite
from ipledger.storage.sql import SQLStore

StoreOpener = Callable[[], SQLStore]
RESET_TIMEOUT_S = 120.0  # a new worker imports the package and opens the store first


class TreeProcess:
    """``RegisterTree`` whose updates run in a worker process (see the module's text)."""

    def __init__(self, open_store: StoreOpener, root: bytes | None) -> None:
        self._open_store = open_store
        self._executor: ProcessPoolExecutor | None = None
        self.reset(root)

    def reset(self, root: bytes | None) -> None:
        """Start again from the stored ``root`` (at start, and after a batch failed to
        store): versions not stored are forgotten here and in the worker."""
        self._roots: dict[int, Future[bytes]] = {} if root is None else {0: _known(root)}
        self.applied_version = 0 if root is not None else None
        self._start_from(root, 0)

    def _start_from(self, root: bytes | None, version: int) -> None:
        """Put the worker (a new one if it died) on ``root`` as ``version``, and wait."""
        try:
            self._call(_reset, root, version).result(timeout=RESET_TIMEOUT_S)
        except BrokenProcessPool:
            self.close()
            self._call(_reset, root, version).result(timeout=RESET_TIMEOUT_S)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"),  # no fork of threads
                initializer=_open, initargs=(self._open_store, os.getpid()))
        return self._executor.submit(fn, *args)

    def write(self, records: Mapping[str, bytes | None],
              changes: Mapping[bytes, bytes | None], first_index: int) -> StateWrite:
        if changes:
            latest = max(self._roots) if self._roots else None
            version = next_version(latest, first_index)
            try:
                update = self._call(_update, changes, version)
            except BrokenProcessPool:  # the worker died since the last batch
                self._restart()
                update = self._call(_update, changes, version)
            self._roots[version] = update
        root = self._roots[max(self._roots)] if self._roots else _known(EMPTY_ROOT)
        return StateWrite(records=records, nodes=(), root=b"", pending_root=root)

    def _restart(self) -> None:
        """A new worker on the newest applied version, whose nodes the old one stored
        before it answered; if that answer never came, the batch fails (and the reset
        after it starts from the store)."""
        version = self.applied_version
        if version is None:
            self.close()
            self._start_from(None, 0)
            return
        answer = self._roots[version]
        if not answer.done() or answer.exception() is not None:
            raise BrokenProcessPool("the state-tree worker died before it answered")
        self.close()
        self._start_from(answer.result(), version)

    def applied(self) -> None:
        if self._roots:
            self.applied_version = max(self._roots)
            self._roots = {self.applied_version: self._roots[self.applied_version]}

    def discard_unapplied(self) -> None:
        newer = [v for v in self._roots
                 if self.applied_version is None or v > self.applied_version]
        if newer:
            for version in newer:
                del self._roots[version]
            self._call(_rollback, self.applied_version)

    def root(self) -> bytes:
        if self.applied_version is None:
            return EMPTY_ROOT
        return self._roots[self.applied_version].result()

    def worker_pid(self) -> int:
        """The worker's process id (starts it if it is not running)."""
        return int(self._call(os.getpid).result(timeout=60))

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _known(root: bytes) -> Future[bytes]:
    done: Future[bytes] = Future()
    done.set_result(root)
    return done


# -- the worker process ------------------------------------------------------------------

_store: SQLStore | None = None
_tree: StateTree | None = None
_nodes: StoreNodes | None = None


def _open(open_store: StoreOpener, parent: int) -> None:
    global _store
    exit_with_parent(parent)
    _store = open_store()


def _reset(root: bytes | None, version: int) -> None:
    global _tree, _nodes
    assert _store is not None
    _nodes = StoreNodes(_store, None)
    if root is not None:
        _nodes.put_root(version, root)
    _tree = StateTree(_nodes)


def _update(changes: Mapping[bytes, bytes | None], version: int) -> bytes:
    """One batch's version: its nodes are stored before its root is answered."""
    global _tree, _nodes
    if _store is None or _tree is None or _nodes is None:
        raise RuntimeError("the state tree waits for a reset after a failed node write")
    root = _tree.update(changes, version)
    nodes = _nodes.take_pending()
    try:
        if nodes:
            _store.put_state_nodes(nodes)
    except BaseException:
        # Updates already queued would build on nodes that are not stored: they fail
        # instead, until the rules reset the tree on what is durable.
        _tree = _nodes = None
        raise
    return root


def _rollback(version: int | None) -> None:
    if _nodes is not None:
        _nodes.rollback(version)
