from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import APIRouter, FastAPI, Request

from {{ cookiecutter.package_name }}.observability.routes import UNMATCHED, RouteTemplates

templates = RouteTemplates()
things = APIRouter(prefix="/things")


@things.get("/{thing_id}")
async def read_thing(thing_id: int, request: Request) -> str:
    return templates(request.scope)


def build_app() -> FastAPI:
    """Routers nested two deep, one of them included twice, as versioned APIs do."""
    app = FastAPI()
    for version in ("v1", "v2"):
        api = APIRouter(prefix=f"/api/{version}")
        api.include_router(things)
        app.include_router(api)

    @app.get("/plain/{name}")
    async def plain(name: str, request: Request) -> str:
        return templates(request.scope)

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=build_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/plain/x", "/plain/{name}"),
        ("/api/v1/things/7", "/api/v1/things/{thing_id}"),
        ("/api/v2/things/7", "/api/v2/things/{thing_id}"),
    ],
)
async def test_the_template_includes_every_router_prefix(
    client: httpx2.AsyncClient, path: str, template: str
) -> None:
    assert (await client.get(path)).json() == template


async def test_an_endpoint_under_two_templates_gets_the_one_it_matched_each_time(
    client: httpx2.AsyncClient,
) -> None:
    for version in ("v1", "v2", "v1", "v2"):
        response = await client.get(f"/api/{version}/things/7")
        assert response.json() == f"/api/{version}/things/" + "{thing_id}"


def test_a_request_that_matched_no_route_is_unmatched() -> None:
    assert RouteTemplates()({"type": "http", "path": "/nowhere", "app": build_app()}) == UNMATCHED
