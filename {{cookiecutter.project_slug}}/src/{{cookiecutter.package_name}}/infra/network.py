"""The network under the shared client: aiohttp's connection pool behind httpx2's interface.

httpx2's own pool (httpcore2) checks every pooled connection for every request it places: with
100 calls waiting on a 100 ms upstream, a bare app spent about 1.1 ms of CPU per call through it
and 0.6 ms through aiohttp's pool (the template's bench/RESULTS.md); where CPU is short, that is
the difference in throughput. httpx-aiohttp adapts that pool to httpx2's transport interface.
"""

import aiohttp
import httpx2
from httpx_aiohttp.httpx2 import AiohttpTransport


class AiohttpPool(AiohttpTransport):
    """httpx-aiohttp's transport with its error mapping put right: it files a refused connection
    and one the upstream dropped under ConnectTimeout, so an upstream that is down would read as
    slow (504) instead of unreachable (502), and it lets an answer that is not HTTP escape as
    aiohttp's own error, which nothing above expects (500)."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await super().handle_async_request(request)
        except httpx2.ConnectTimeout as error:
            raise _corrected(error, request) from error.__cause__
        except aiohttp.ClientError as error:
            raise httpx2.RemoteProtocolError(str(error), request=request) from error


def _corrected(error: httpx2.ConnectTimeout, request: httpx2.Request) -> httpx2.TransportError:
    """The httpx2 error that aiohttp's, the cause of `error`, stands for."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ServerTimeoutError):
        return error
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(str(cause), request=request)
    if isinstance(cause, aiohttp.ClientConnectionError):
        return httpx2.RemoteProtocolError(str(cause), request=request)
    return error
