import threading

import anyio
import httpx2
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.settings import Settings


async def let_driver_threads_finish() -> None:
    """After a failed connect, aiosqlite stops its worker thread without waiting for it; the
    thread then reports to the event loop, which must still be open (else it raises)."""
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await anyio.to_thread.run_sync(thread.join, 5)


@pytest.fixture
def settings(settings: Settings, unreachable_database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": SecretStr(unreachable_database_url)})


async def test_not_ready_when_the_database_does_not_answer(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health/ready")
    await let_driver_threads_finish()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database does not answer."
