"""The database engine and the sessions that borrow its connections."""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from {{ cookiecutter.package_name }}.errors.database import name_connect_failures
from {{ cookiecutter.package_name }}.settings import Settings


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


async def open_database(settings: Settings) -> Database:
    """Create the engine. Connections open lazily, so a database that is down does not stop
    the service from starting: readiness reports it instead."""
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        echo=settings.database_echo,
{%- if cookiecutter.database == "postgresql" %}
        # A server drops idle connections (restart, failover, idle timeout): test each one
        # before lending it, one round trip per checkout, rather than fail a request on it.
        pool_pre_ping=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
        connect_args={"timeout": settings.database_connect_timeout},
{%- endif %}
    )
    name_connect_failures(engine)
    # expire_on_commit=False: reading an attribute after commit must not trigger lazy I/O.
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


async def close_database(database: Database) -> None:
    await database.engine.dispose()


async def ping(database: Database) -> None:
    """Raise if the database does not answer a trivial query."""
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
