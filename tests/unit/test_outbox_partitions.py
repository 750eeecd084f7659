"""The relay picks each key's partition itself, for speed; it must be the one the producer's
default partitioner picks, or a stream's events would change partition (and order)."""

from __future__ import annotations

from uuid import uuid4

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from shared.record_batches import murmur2, partition_of


@given(st.binary(max_size=200))
def test_murmur2_equals_aiokafkas_for_any_bytes(data: bytes) -> None:
    assert murmur2(data) == aiokafka_murmur2(data)


@given(st.integers(min_value=1, max_value=64))
def test_a_stream_id_lands_where_the_default_partitioner_puts_it(count: int) -> None:
    partitions = list(range(count))
    for _ in range(50):
        key = str(uuid4()).encode()
        assert partition_of(key, partitions) == DefaultPartitioner()(key, partitions, partitions)
