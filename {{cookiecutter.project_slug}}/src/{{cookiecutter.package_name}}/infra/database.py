"""The database engine, and the connections and sessions that borrow from its pool."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

{% if cookiecutter.database == "postgresql" -%}
from sqlalchemy import Executable, Result, event, text
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
{%- else -%}
from sqlalchemy import Executable, Result, text
{%- endif %}
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.pool import ConnectionPoolEntry
{%- endif %}

from {{ cookiecutter.package_name }}.errors.database import name_connect_failures
from {{ cookiecutter.package_name }}.settings import Settings

SELECT_ONE = text("SELECT 1")


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    # Writes: a session per unit of work, `async with database.sessions.begin() as session:`.
    sessions: async_sessionmaker[AsyncSession]
{%- if cookiecutter.database == "postgresql" %}
    # Reads: the same pool, with no transaction around a statement that needs none.
    reader: AsyncEngine

    async def read(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        """Run one read-only statement and return its rows, all fetched already.

        It runs in autocommit mode: one round trip to the server instead of three (BEGIN, the
        statement, ROLLBACK). A read is safe to repeat, so it runs once more when the server had
        closed its connection (a restart, a failover, an idle timeout) and the pool had not
        noticed yet; that error has marked every connection as old as it for replacement.
        """
        try:
            return await self._read_once(statement, parameters)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        return await self._read_once(statement, parameters)

    async def _read_once(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        async with self.reader.connect() as connection:
            return await connection.execute(statement, parameters)


def _refuse_closed_connections(
    _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any
) -> None:
    """Refuse a pooled connection that the server has closed, and every one as old as it.

    asyncpg sees the server close a connection as soon as the event loop reads the close, so
    this check costs no round trip, unlike `pool_pre_ping`'s query on every checkout.
    """
    if record.driver_connection is not None and record.driver_connection.is_closed():
        raise InvalidatePoolError("the server closed this pooled connection")
{%- else %}

    async def read(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        """Run one read-only statement and return its rows, all fetched already."""
        async with self.engine.connect() as connection:
            return await connection.execute(statement, parameters)
{%- endif %}


async def open_database(settings: Settings) -> Database:
    """Create the engine. Connections open lazily, so a database that is down does not stop
    the service from starting: readiness reports it instead."""
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        echo=settings.database_echo,
{%- if cookiecutter.database == "sqlite" %}
        # Connections beyond pool_size are opened for a burst and closed after it, each with a
        # thread of its own; with max_overflow at 0, a burst waits for a pooled one instead.
{%- else %}
        # Connections beyond pool_size are opened for a burst and closed after it, a server
        # process each; with max_overflow at 0, a burst waits for a pooled one instead.
{%- endif %}
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
{%- if cookiecutter.database == "postgresql" %}
        # Connections older than this are opened anew when next borrowed: keep it below the idle
        # timeout of any proxy, NAT or load balancer between the service and the server.
        pool_recycle=settings.database_pool_recycle,
        connect_args={"timeout": settings.database_connect_timeout},
{%- endif %}
    )
    name_connect_failures(engine)
{%- if cookiecutter.database == "postgresql" %}
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connections)
{%- endif %}
    # expire_on_commit=False: reading an attribute after commit must not trigger lazy I/O.
    sessions = async_sessionmaker(engine, expire_on_commit=False)
{%- if cookiecutter.database == "postgresql" %}
    return Database(engine, sessions, engine.execution_options(isolation_level="AUTOCOMMIT"))
{%- else %}
    return Database(engine, sessions)
{%- endif %}


async def close_database(database: Database) -> None:
    await database.engine.dispose()


async def ping(database: Database) -> None:
    """Raise if the database does not answer a trivial query."""
    await database.read(SELECT_ONE)
