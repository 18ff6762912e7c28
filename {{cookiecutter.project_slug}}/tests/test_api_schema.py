"""Property-based tests from the service's own OpenAPI schema: schemathesis sends every
operation generated requests, valid and not, and checks that none gets a 5xx and that every
answer matches what the schema promises.

They are slow: a plain `pytest` leaves them out. schemathesis and hypothesis take a second to
import, so only the tests import them, and a run without these tests does not pay for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
{%- if cookiecutter.auth == "jwt" %}
from tests.asgi import TOKEN
{%- endif %}
from tests.fakes import FakeUpstream

if TYPE_CHECKING:
    import schemathesis

pytestmark = pytest.mark.slow

# Enough to reach the limits of every parameter and field, few enough to stay fast.
EXAMPLES = 20


def operations() -> list[Any]:
    """Every operation the schema describes, known before any test runs."""
    paths = create_app(Settings(_env_file=None)).openapi()["paths"]
    return [
        pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
        for path, methods in paths.items()
        for method in methods
    ]


@pytest.fixture
def api_schema(settings: Settings, upstream: FakeUpstream) -> Iterator[schemathesis.BaseSchema]:
    import schemathesis
    from schemathesis.python import asgi

    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
    settings = settings.model_copy(
        update={
            # schemathesis' ASGI client sends `Host: testserver`.
            "trusted_hosts": [asgi.HOST],
            # The app runs on schemathesis' own thread while this one generates requests and
            # holds the interpreter lock: its loop is late, through no fault of its own.
            "loop_lag_threshold": 10.0,
        }
    )
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    # schemathesis starts the app's lifespan on the first request; it ends with the test.
    asgi.shutdown_lifespans()


@pytest.mark.parametrize(("method", "path"), operations())
def test_every_operation_honours_its_schema(
    api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    from hypothesis import HealthCheck, given, settings

    @given(case=api_schema[path][method].as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def honours_schema(case: schemathesis.Case[Any]) -> None:
{%- if cookiecutter.auth == "jwt" %}
        # With a token that may do anything: each operation's own checks are what is tested.
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
{%- else %}
        case.call_and_validate()
{%- endif %}

    honours_schema()
