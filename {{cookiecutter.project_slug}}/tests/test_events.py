"""The broker part: the AsyncAPI document states the contract, readiness reports the broker,
and start-up needs it."""

from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.events.contract import ITEM_EVENT_TYPES
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream


async def test_the_asyncapi_document_states_the_contract(
    client: httpx2.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    assert document["asyncapi"].startswith("3.")
{%- if cookiecutter.database == "none" %}
    assert document["servers"]
{%- else %}
    addresses = {channel["address"] for channel in document["channels"].values()}
{%- if cookiecutter.broker == "rabbitmq" %}
    assert set(ITEM_EVENT_TYPES) <= addresses
    exchanges = {
        channel["address"]: channel["bindings"]["amqp"].get("exchange", {}).get("name")
        for channel in document["channels"].values()
    }
    assert all(exchanges[kind] == settings.broker_exchange for kind in ITEM_EVENT_TYPES)
{%- else %}
    prefix = settings.broker_subject_prefix
    assert {f"{prefix}.{kind}" for kind in ITEM_EVENT_TYPES} <= addresses
{%- endif %}
    schemas = document["components"]["schemas"]
    assert "ItemEvent" in schemas
{%- endif %}


@pytest.mark.parametrize("changes", [{"api_docs": False}])
async def test_the_asyncapi_document_is_off_with_the_api_docs(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/asyncapi.json")).status_code == 404


async def test_readiness_reports_the_broker(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200


async def test_the_service_starts_on_the_real_broker_and_reports_it_ready(
    settings: Settings, upstream: FakeUpstream, broker_server: str
) -> None:
    real = settings.model_copy(update={"broker_url": SecretStr(broker_server)})
    app = create_app(real, http_transport=httpx2.MockTransport(upstream))
    async with serving(app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200, response.text


async def test_a_broker_that_cannot_be_reached_stops_the_start_up(settings: Settings) -> None:
    # Nothing listens on port 1: the connection is refused at once.
{%- if cookiecutter.broker == "rabbitmq" %}
    unreachable = SecretStr("amqp://guest:guest@127.0.0.1:1/")
{%- else %}
    unreachable = SecretStr("nats://127.0.0.1:1")
{%- endif %}
    app = create_app(
        settings.model_copy(update={"broker_url": unreachable, "broker_connect_timeout": 1.0})
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 (each client raises its own error)
        async with app.router.lifespan_context(app):
            pass
