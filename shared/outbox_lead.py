"""Which outbox relay publishes (shared.outbox): the one whose reading connection holds the
relays' advisory lock, for as long as that connection lives."""

from __future__ import annotations

import asyncpg

from shared.outbox_queries import TRY_LOCK


class Lead:
    """The reading connection of a relay that publishes, taken from the service's pool with the
    lock on it, or none while another relay holds the lock."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.reader: asyncpg.Connection | None = None

    async def take(self) -> asyncpg.Connection | None:
        """The reading connection, kept from turn to turn while it lives; None while another
        relay holds the lock (this one stands by and tries again)."""
        if self.reader is not None and _alive(self.reader):
            return self.reader
        self.give_up()
        reader = await self._pool.acquire()
        try:
            leading = await reader.fetchval(TRY_LOCK)
        except BaseException:
            reader.terminate()  # the lock may have been taken: it goes with the session
            raise
        if not leading:
            await self._pool.release(reader)
            return None
        self.reader = reader
        return reader

    def give_up(self) -> None:
        """Close the reading connection, and so let the lock go. Closed, not given back to the
        pool: the pool does not reset its connections (shared.database), and a session lock
        left on one would keep every relay of the database from publishing."""
        reader, self.reader = self.reader, None
        if reader is not None and _alive(reader):
            reader.terminate()


def _alive(conn: asyncpg.Connection) -> bool:
    """Whether a pooled connection is still open: asyncpg gives a connection it lost back to the
    pool by itself, and its proxy then answers nothing, not even ``is_closed``."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False
