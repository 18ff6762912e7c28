"""The one outbound HTTP client the whole service shares, so connections are pooled."""

from functools import partial

import httpx2
from anyio import to_thread

from {{ cookiecutter.package_name }}.infra.retry import RetryTransport
from {{ cookiecutter.package_name }}.request_id import propagate_request_id
from {{ cookiecutter.package_name }}.settings import Settings


async def open_transport(settings: Settings) -> httpx2.AsyncBaseTransport:
    """The connection pool to the upstreams (httpx2's own), the innermost layer under the shared
    client. Built in a thread: building it reads the CA certificates and, the first time,
    imports httpcore2 from disk."""
    limits = httpx2.Limits(max_connections=settings.http_max_connections)
    return await to_thread.run_sync(partial(httpx2.AsyncHTTPTransport, limits=limits))


async def open_http_client(
    settings: Settings, transport: httpx2.AsyncBaseTransport
) -> httpx2.AsyncClient:
    """`transport` is the network (open_transport), or a fake one in the tests
    (`httpx2.MockTransport`), possibly wrapped by layers that observe it."""
    # Transports wrap one another, the network innermost: each try of a retry is a real call.
    retrying = RetryTransport(
        transport,
        attempts=settings.http_retry_attempts,
        base_delay=settings.http_retry_base_delay,
        max_delay=settings.http_retry_max_delay,
    )
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(
            settings.http_read_timeout,
            connect=settings.http_connect_timeout,
            pool=settings.http_pool_timeout,
        ),
        transport=retrying,
        event_hooks={"request": [propagate_request_id]},
    )


async def close_http_client(client: httpx2.AsyncClient) -> None:
    await client.aclose()
