"""``make bench``: every benchmark, one JSON object per line on stdout (see DESIGN.md)."""

from __future__ import annotations

import os

from bench import (
    authenticity_verify,
    documents,
    extract_bulk,
    ingest,
    ingest_http,
    network,
    proofs,
    registry_bench,
    search_bench,
    state_proofs,
    tsa,
    work_queues,
)
from bench.common import emit, note
from ipledger.identity import ed25519_verify_ceiling


def main() -> None:
    cores = os.cpu_count() or 1
    ceiling = ed25519_verify_ceiling(2.0, cores)
    emit("ed25519_verify", ceiling, "verify/s", ceiling, threads=cores,
         note="the ceiling the ingest benchmarks are measured against")
    note("ingest, disk, checkpoint_latency")
    ingest.run(ceiling)
    note("ingest_http")
    ingest_http.run(ceiling)
    note("proof, verify")
    proofs.run()
    note("state proofs and extracts on a 1,000,000-record register")
    state_proofs.main()
    note("registry_ingest, registry_ingest_staged, import_st96, extract")
    registry_bench.run(ceiling)
    note("extract_1m (register of 1,000,000 rights, bulk-loaded)")
    extract_bulk.run()
    note("search, pages (1,000,000 trade marks; IPLEDGER_BENCH_SEARCH_RIGHTS for fewer)")
    search_bench.run()
    note("work_queues (back-office queue counts and first page, 20,000 and 200,000 rights)")
    work_queues.run()
    note("disk_write_fsync, documents_upload, documents_upload_http")
    documents.run()
    note("tsa (RFC 3161 tokens)")
    tsa.run()
    note("authenticity_verify (10,000,000 serials; IPLEDGER_BENCH_SERIALS for fewer)")
    authenticity_verify.run()
    note("network_throughput, finality_latency (3 NATS servers, 4 office nodes)")
    network.run(ceiling)


if __name__ == "__main__":
    main()
