from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings


@pytest.fixture
def unreachable_database(settings: Settings, tmp_path: Path) -> Settings:
    # A path below a missing directory: SQLite cannot open it, like a server that is down.
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/db.sqlite"
    return settings.model_copy(update={"database_url": SecretStr(url)})


async def test_not_ready_when_the_database_does_not_answer(unreachable_database: Settings) -> None:
    app = create_app(unreachable_database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database does not answer."
