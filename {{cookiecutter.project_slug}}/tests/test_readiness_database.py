import httpx
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings


@pytest.fixture
def unreachable_database(settings: Settings, unreachable_database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": SecretStr(unreachable_database_url)})


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
