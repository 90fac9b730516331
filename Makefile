# ipledger — the two Quick start commands are `make run` and `make test`.
.PHONY: run test lint bench typecheck interop fuzz loadtest clean

DATA ?= data/demo
HOST ?= 127.0.0.1
PORT ?= 8000

run:  ## run a node on the embedded SQLite store with sample evidence, at http://127.0.0.1:8000
	./scripts/bootstrap
	.venv/bin/ipledger demo --data $(DATA) --host $(HOST) --port $(PORT)

test:  ## set up everything the suite needs, then lint, type-check and run every test
	./scripts/test

lint:
	./scripts/bootstrap
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy

bench:  ## benchmarks, one JSON object per line (see DESIGN.md)
	./scripts/bootstrap
	.venv/bin/python -m bench

fuzz:  ## libFuzzer (atheris) over the envelope validator: 1,000,000 inputs (the suite runs 30,000)
	./scripts/bootstrap
	IPLEDGER_FUZZ_RUNS=$${IPLEDGER_FUZZ_RUNS:-1000000} .venv/bin/python -m pytest -p no:cacheprovider tests/hardening/test_fuzzing.py -k fuzzer

loadtest:  ## 2,000 mixed requests/s for 10 minutes against a real node (the suite runs 20 s at 500/s)
	./scripts/bootstrap
	IPLEDGER_LOAD_RATE=$${IPLEDGER_LOAD_RATE:-2000} IPLEDGER_LOAD_SECONDS=$${IPLEDGER_LOAD_SECONDS:-600} .venv/bin/python -m pytest -p no:cacheprovider tests/hardening/test_load.py

interop:  ## build the Go (golang.org/x/mod) tlog client, the JS VC verifier and axe-core used by the interop and web tests
	./scripts/build-go-tlog-client
	./scripts/build-vc-js
	./scripts/build-npm axe-core

clean:
	rm -rf .venv .build data .pytest_cache .mypy_cache .ruff_cache
