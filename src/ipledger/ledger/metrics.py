"""Prometheus metrics of one ledger: what the sequencer, validation and checkpoints do.

Each :class:`~ipledger.ledger.Ledger` owns a :class:`LedgerMetrics` with its own
``CollectorRegistry`` (never the global one: one process may open many ledgers).
The hot path only increments counters once per batch; depths, sizes and ages are
gauges read through callbacks when the registry is scraped.

This is observability, not ledger time: ages use the process's monotonic clock.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ipledger.ledger.errors import Rejection

if TYPE_CHECKING:
    from ipledger.ledger.checkpoints import CheckpointPublisher
    from ipledger.ledger.sequencer import Sequencer
    from ipledger.ledger.validation_pool import ValidationPool

# Seconds per committed batch: a few entries on a fast disk take well under a
# millisecond; thousands of entries with register rules, or a slow fsync, seconds.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                  2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

log = logging.getLogger(__name__)


def entry_family(entry_type: str) -> str:
    """``right.file`` -> ``right``: the label entries are counted by (a bounded set)."""
    return entry_type.partition(".")[0]


class LedgerMetrics:
    """Counters and histograms the ledger updates, gauges it exposes at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.entries = Counter(
            "ipledger_entries_appended", "Entries durably appended to the log, by entry family "
            "(rate() of it is the ingest rate)", ["family"], registry=r)
        self.batches = Counter(
            "ipledger_batches_committed", "Batches committed, each in one storage transaction",
            registry=r)
        self.batch_seconds = Histogram(
            "ipledger_batch_commit_seconds", "Time to sequence and durably commit one batch "
            "(replay checks, register rules, hashing, storage transaction)",
            buckets=COMMIT_BUCKETS, registry=r)
        self.state_root_wait = Histogram(
            "ipledger_state_root_wait_seconds", "Time the writer waited for a batch's state "
            "root from the register's state-tree worker process, before the batch's storage "
            "transaction (high: the tree worker bounds ingest)",
            buckets=COMMIT_BUCKETS, registry=r)
        self.batch_entries = Histogram(
            "ipledger_batch_entries", "Entries per committed batch", buckets=BATCH_SIZE_BUCKETS,
            registry=r)
        self.rejections = Counter(
            "ipledger_rejections", "Rejections answered to a submitter or client, by the RFC "
            "9457 problem rule (each counted once, where it was decided)", ["rule"], registry=r)
        self.checkpoints = Counter(
            "ipledger_checkpoints_published", "Signed checkpoints published", registry=r)
        self._by_type: dict[str, Counter] = {}
        self._by_rule: dict[str, Counter] = {}

    # -- hot path: called once per batch or once per rejection --------------------------

    def appended(self, entry_types: Iterable[str], seconds: float) -> None:
        """A batch of entries of these types is durable; it took ``seconds`` to commit.

        Called from the sequencer's writer thread only.
        """
        n = 0
        for entry_type, count in Tally(entry_types).items():
            child = self._by_type.get(entry_type)
            if child is None:
                child = self._by_type[entry_type] = self.entries.labels(entry_family(entry_type))
            child.inc(count)
            n += count
        self.batches.inc()
        self.batch_seconds.observe(seconds)
        self.batch_entries.observe(n)

    def rejected(self, rejection: Rejection) -> Rejection:
        """Count ``rejection`` under its rule, unless it was already counted; return it.

        The same exception object reaches the HTTP problem handler after the ledger
        refused the entry: marking it keeps one rejection one count.
        """
        if not rejection.counted:
            rejection.counted = True
            try:
                child = self._by_rule.get(rejection.rule)
                if child is None:
                    child = self._by_rule[rejection.rule] = self.rejections.labels(
                        rejection.rule)
                child.inc()
            except Exception:  # counting must never keep a submitter from its answer
                log.exception("rejection %s not counted", rejection.rule)
        return rejection

    # -- read at scrape time ------------------------------------------------------------

    def watch(self, sequencer: Sequencer, pool: ValidationPool,
              checkpoints: CheckpointPublisher,
              clock: Callable[[], float] = time.monotonic) -> None:
        """Expose the ledger's queues, sizes and checkpoint age as gauges (callbacks)."""
        r = self.registry
        checkpoints.add_listener(lambda _: self.checkpoints.inc())

        def gauge(name: str, doc: str, read: Callable[[], float]) -> None:
            Gauge(name, doc, registry=r).set_function(read)

        gauge("ipledger_sequencer_queue_depth",
              "Validated entries waiting for the sequencer", sequencer.queue_depth)
        gauge("ipledger_validation_backlog",
              "Submitted entries being validated (schema, signatures) by the workers",
              pool.backlog)
        gauge("ipledger_tree_size", "Entries durably in the log",
              lambda: sequencer.tree_size)
        gauge("ipledger_checkpoint_tree_size", "Tree size of the latest signed checkpoint",
              lambda: checkpoints.latest().tree_size)
        gauge("ipledger_checkpoint_age_seconds",
              "Seconds since the latest checkpoint was published by this process "
              "(grows while the log is idle: a checkpoint is signed only when it grew)",
              lambda: max(0.0, clock() - checkpoints.published_at))
        gauge("ipledger_checkpoint_lag_seconds",
              "Seconds durable entries have waited for a signed checkpoint (0 when the "
              "latest checkpoint covers the whole log)",
              lambda: checkpoints.lag_s(clock()))
