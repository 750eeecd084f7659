# The two commands a newcomer needs: `make run` (the system and its demo) and `make test`.
SHELL := /bin/bash
STACK := bash deploy/local/stack.sh

.PHONY: help install test-tools run demo test test-unit test-faults lint up down status clean bench contracts fieldapp

help:
	@echo "make run     start the local stack and the three services, play the Oral demo, keep running"
	@echo "make demo    the same, but stop after the demo"
	@echo "make test    lint, then unit, integration and end-to-end tests on the real Kafka and Postgres"
	@echo "make up      start the Docker-free stack (Kafka, Postgres, Zipkin); make down stops it"
	@echo "make status  what of the stack runs, and where"
	@echo "make bench   benchmarks with their baselines in the same run (benchmarks/README.md)"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@uv sync --frozen --quiet

run: install
	uv run python -m demo.run $(ARGS)

demo: install
	uv run python -m demo.run --exit-after-demo

lint: install
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy shared services demo tests benchmarks quality console
	uv run lint-imports
	uv run python -m contracts.generate --check
	uv run python -m quality.sizes  # issue #18's ratchet; after a merge: --update

# before the first test, not twenty minutes in: chromium (installed as root, else the command)
test-tools:
	@bash deploy/local/test-tools.sh

test: test-tools lint
	uv run pytest $(ARGS)

test-unit: install
	uv run pytest tests/unit $(ARGS)

# issue #8: faults under load on a private Kafka + Postgres (ports 19092/19093, 15433)
test-faults: install
	uv run pytest tests/faults -m faults $(ARGS)

bench:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@uv sync --frozen --quiet --group bench
	@$(STACK) up >&2
	uv run --frozen --group bench python -m benchmarks $(ARGS)

# the Oral week end to end (issue #9): 100,000 people by default; ARGS="--arrivals 2000" for a miniature
bench-week: install
	uv run python -m benchmarks.oral_week $(ARGS)

contracts: install
	uv run python -m contracts.generate

# the field app's script bundle and QR decoder, from js/ and pinned npm packages (committed;
# tests/e2e/test_fieldapp_build.py checks they are up to date)
fieldapp:
	cd services/intake/fieldapp-build && npm ci --no-audit --no-fund && npm run build

up:
	$(STACK) up

down:
	$(STACK) down

status:
	$(STACK) status

clean:
	$(STACK) down --purge
