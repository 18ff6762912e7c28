"""The one outbound HTTP client the whole service shares, so connections are pooled."""

import httpx

from {{ cookiecutter.package_name }}.infra.retry import RetryTransport
from {{ cookiecutter.package_name }}.request_id import propagate_request_id
from {{ cookiecutter.package_name }}.settings import Settings


async def open_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """`transport` lets tests answer outbound calls without a network (`httpx.MockTransport`)."""
    network = transport or httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=settings.http_max_connections)
    )
    # Transports wrap one another, the network innermost: each try of a retry is a real call.
    retrying = RetryTransport(
        network,
        attempts=settings.http_retry_attempts,
        base_delay=settings.http_retry_base_delay,
        max_delay=settings.http_retry_max_delay,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.http_read_timeout,
            connect=settings.http_connect_timeout,
            pool=settings.http_pool_timeout,
        ),
        transport=retrying,
        event_hooks={"request": [propagate_request_id]},
    )


async def close_http_client(client: httpx.AsyncClient) -> None:
    await client.aclose()
