"""A span per SQL statement, in the trace of the request that ran it."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.observability.tracing import METER_PROVIDER
from {{ cookiecutter.package_name }}.resources import Resources


@contextmanager
def tracing_database(engine: AsyncEngine, provider: TracerProvider) -> Iterator[None]:
    """Trace `engine`'s statements while the block runs.

    The instrumentor is one per process: it is undone on exit so that the next app (the next
    test) can instrument its own engine. skip_dep_check: its declared SQLAlchemy range lags
    behind the releases it works with.
    """
    instrumentor = SQLAlchemyInstrumentor()
    instrumentor.instrument(
        engine=engine.sync_engine,
        tracer_provider=provider,
        meter_provider=METER_PROVIDER,
        skip_dep_check=True,
    )
    try:
        yield
    finally:
        instrumentor.uninstrument()


class DatabaseTracingExtension(Extension):
    """Traces the database's statements for as long as it is open; nothing without a provider."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        if self.provider is None:
            yield
            return
        with tracing_database(resources.database.engine, self.provider):
            yield
