"""The event store's tables as the code uses them today: the events (which are also the
outbox), the relay's checkpoint and the consumers' inbox. Tests and benchmarks create them from
here; the services' migrations run the released steps themselves. A new step of the event
store joins this script when the code starts to rely on it."""

from shared.schema_steps import event_store_v1

SCHEMA_DDL = event_store_v1()
