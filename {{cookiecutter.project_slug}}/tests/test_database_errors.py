"""A database that is down answers 503 problems; the process keeps serving what it can."""

import httpx2
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.errors.database import (
    DATABASE_EXCEPTION_HANDLERS,
    UNAVAILABLE,
    DatabaseUnreachableError,
    name_connect_failures,
)
from {{ cookiecutter.package_name }}.middleware.stack import service_middleware
from {{ cookiecutter.package_name }}.settings import Settings
from tests.test_readiness_database import let_driver_threads_finish

ITEMS = "/api/v1/items"


class DriverError(Exception):
    """What a database driver raises, for SQLAlchemy to wrap."""


@pytest.fixture
def settings(settings: Settings, unreachable_database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": SecretStr(unreachable_database_url)})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", ITEMS, None), ("GET", f"{ITEMS}/1", None), ("POST", ITEMS, {"name": "gear"})],
)
async def test_data_endpoints_answer_503_while_the_database_is_down(
    client: httpx2.AsyncClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, path, json=body, headers={"X-Request-ID": "db-1"})
    await let_driver_threads_finish()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == UNAVAILABLE
    assert response.json()["request_id"] == "db-1"
    # The process is alive and says so; only readiness reports the database.
    assert (await client.get("/health/live")).status_code == 200


def raising(error: Exception) -> httpx2.AsyncClient:
    """A client of an app whose one route raises `error`, with the service's error handling."""
    settings = Settings(_env_file=None, trusted_hosts=["test"])
    app = FastAPI(
        exception_handlers=DATABASE_EXCEPTION_HANDLERS,
        middleware=service_middleware(settings, [], []),
    )

    @app.get("/")
    async def fail() -> None:
        raise error

    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test")


def wrapped(kind: type[exc.DBAPIError], *, invalidated: bool = False) -> exc.DBAPIError:
    return kind("SELECT 1", {}, DriverError(), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (wrapped(exc.OperationalError), 503),
        (wrapped(exc.InterfaceError), 503),
        (wrapped(exc.DBAPIError, invalidated=True), 503),
        (exc.TimeoutError("the pool stayed full"), 503),
        (DatabaseUnreachableError("connection refused"), 503),
        (wrapped(exc.IntegrityError), 500),
        (wrapped(exc.ProgrammingError), 500),
        # An OSError that did not come from connecting to the database is no outage.
        (FileNotFoundError("settings.toml"), 500),
        (ConnectionRefusedError("another service"), 500),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
async def test_only_failures_to_reach_the_database_are_503(error: Exception, status: int) -> None:
    async with raising(error) as client:
        assert (await client.get("/")).status_code == status


async def test_a_connect_refused_below_the_driver_is_named_unreachable(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """asyncpg raises a bare OSError when nothing listens; the engine names it."""
    engine = create_async_engine(database_url)
    name_connect_failures(engine)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(engine.dialect, "connect", refuse)
    with pytest.raises(DatabaseUnreachableError) as raised:
        async with engine.connect():
            pass
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)
    await engine.dispose()
