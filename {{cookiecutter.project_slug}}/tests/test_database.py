import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import DBAPIConnection

from {{ cookiecutter.package_name }}.infra.database import close_database, open_database, ping
from {{ cookiecutter.package_name }}.settings import Settings

BURSTS, READERS = 3, 6


async def test_no_connection_is_pinged_before_use(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
{%- if cookiecutter.database == "postgresql" %}
    """A ping on every checkout (`pool_pre_ping`) is a round trip on every request. The
    connections a server closed are caught without one: tests/test_database_reconnect.py."""
{%- else %}
    """A ping on every checkout (`pool_pre_ping`) is a round trip to aiosqlite's thread on every
    request, and a SQLite file cannot drop a connection: the ping would be pure cost."""
{%- endif %}
    database = await open_database(settings)
    dialect = database.engine.dialect
    pinged = 0
    do_ping = dialect.do_ping

    def counting_ping(dbapi_connection: DBAPIConnection) -> bool:
        nonlocal pinged
        pinged += 1
        return do_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    try:
        # The pool would skip the ping on a connection it has just opened: borrow it twice.
        await ping(database)
        await ping(database)
    finally:
        await close_database(database)
    assert pinged == 0


@pytest.mark.parametrize(("overflow", "churns"), [(0, False), (4, True)])
async def test_bursts_of_load_reuse_the_pooled_connections(
    settings: Settings, overflow: int, churns: bool
) -> None:
    """With max_overflow at 0 a burst waits for the pool's connections instead of opening more
    and closing them after it, as every burst does with overflow allowed."""
    pool_size = 2
    database = await open_database(
        settings.model_copy(
            update={"database_pool_size": pool_size, "database_max_overflow": overflow}
        )
    )
    opened = 0

    def count(*_: Any) -> None:
        nonlocal opened
        opened += 1

    event.listen(database.engine.sync_engine.pool, "connect", count)
    try:
        for _ in range(BURSTS):
            await asyncio.gather(*(database.read(text("SELECT 1")) for _ in range(READERS)))
    finally:
        await close_database(database)
    assert (opened > pool_size) is churns, f"{opened} connections opened"
