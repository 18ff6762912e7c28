"""Alembic's entry point: runs migrations over the service's own async driver."""

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

{% if cookiecutter.broker != "none" -%}
from {{ cookiecutter.package_name }}.events import consumer as _consumer_models  # noqa: F401
from {{ cookiecutter.package_name }}.events import outbox as _outbox_models  # noqa: F401
{% endif -%}
from {{ cookiecutter.package_name }}.infra.orm import Base
from {{ cookiecutter.package_name }}.items import models as _items_models  # noqa: F401 (registers the table)
from {{ cookiecutter.package_name }}.settings import Settings

config = context.config
target_metadata = Base.metadata


def database_url(settings: Settings) -> str:
    """Tests pass their URL as an attribute; everyone else gets the service's own setting."""
    url = config.attributes.get("database_url")
    return str(url) if url else settings.database_url.get_secret_value()


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online(settings: Settings) -> None:
{%- if cookiecutter.database == "postgresql" %}
    engine = create_async_engine(
        database_url(settings),
        poolclass=pool.NullPool,
        # The service's own bound: a server that is down or silent fails the migration in
        # seconds, where asyncpg alone would wait a minute.
        connect_args={"timeout": settings.database_connect_timeout},
    )
{%- else %}
    engine = create_async_engine(database_url(settings), poolclass=pool.NullPool)
{%- endif %}
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


# Read before the event loop starts: settings come from the environment and `.env`.
settings = Settings()
if context.is_offline_mode():
    context.configure(
        url=database_url(settings), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_migrations_online(settings))
