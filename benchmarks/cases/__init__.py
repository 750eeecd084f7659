"""The harness's cases, one module each (``--only`` takes a comma-separated list of them):

- ``append``:  EventStore.append vs R4 (the ``eventsourcing`` library's Postgres application
  recorder) at concurrency 1 and 32, and vs R3 (asyncpg executemany, 100 rows a transaction);
- ``relay``:   the real OutboxRelay (its own process) vs R1's producer alone (its own process);
- ``accept``:  POST /v1/arrivals on the real intake process vs R0 (FastAPI + uvicorn, 202)
  and vs R5 (the same with intake's request model and one INSERT committed, 201);
- ``tracing``: accept's load on intake with 100 % sampling and spans exported vs the SDK disabled;
- ``e2e``:     HTTP -> append + outbox -> relay -> Kafka -> housing's consumer -> projection
  committed, vs R1 (raw aiokafka produce then consume, two processes);
- ``latency``: accept -> visible in housing's read model at 50 % and 80 % of the e2e maximum,
  open loop (needs ``e2e``'s maximum: runs it when not selected, or takes ``--max-rate``);
- ``rebuild``: shared.rebuild on intake's read models vs R2 (asyncpg COPY of the same rows),
  and vs the live projection path (events/s appended and projected during ``accept``);
- ``occupancy``: CPU per placement and per check-in of housing's shelter decider in a
  2,000-place shelter 90 % full vs the same 10 % full (pure, in the harness);
- ``distributions``: POST /v1/distributions on the real aid process from 2 and from 10
  counters at once at one site's stock, vs one counter.

``e2e`` and ``latency`` share one intake + housing pair (``pipeline``).
"""
