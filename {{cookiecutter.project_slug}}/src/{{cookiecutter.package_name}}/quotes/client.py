"""The quotes upstream. Part of the await-only I/O layer: every public function is `async def`."""

import httpx2
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.errors import UpstreamError, UpstreamTimeoutError
from {{ cookiecutter.package_name }}.quotes.schemas import Quote


async def fetch_quote_of_the_day(client: httpx2.AsyncClient, base_url: str) -> Quote:
    """Map every way the upstream can fail to 502 or 504, never to a 500."""
    try:
        response = await client.get(f"{base_url.rstrip('/')}/today")
        response.raise_for_status()
        return Quote.model_validate_json(response.content)
    except httpx2.TimeoutException as exc:
        raise UpstreamTimeoutError("The quotes service did not answer in time.") from exc
    except httpx2.HTTPStatusError as exc:
        status = exc.response.status_code
        raise UpstreamError(f"The quotes service answered {status}.") from exc
    except (httpx2.TransportError, ValidationError) as exc:
        raise UpstreamError("The quotes service failed or answered nonsense.") from exc
