from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.settings import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    # A path below a missing directory: SQLite cannot open it, like a server that is down.
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/db.sqlite"
    return settings.model_copy(update={"database_url": SecretStr(url)})


async def test_not_ready_when_the_database_does_not_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database does not answer."
