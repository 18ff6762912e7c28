import httpx2
import pytest
from blockbuster import BlockBuster
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
{%- if cookiecutter.database != "none" %}
from sqlalchemy import text
{%- endif %}
from starlette.types import Message

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.observability.tracing import (
    TracingExtension,
    otlp_exporter,
    tracer_provider,
)
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.resources import DatabaseDep, HttpClientDep
{%- else %}
from {{ cookiecutter.package_name }}.resources import HttpClientDep
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import UPSTREAM, FakeUpstream
from tests.log_capture import CapturedLog, capture_log
{% if cookiecutter.database != "none" %}

async def lookup(database: DatabaseDep, client: HttpClientDep) -> None:
    """Reads the database, then calls the upstream: one trace should hold both."""
    await database.read(text("SELECT 1"))
    await client.get(f"{UPSTREAM}/today")
{%- else %}

async def lookup(client: HttpClientDep) -> None:
    """Calls the upstream: the trace should hold the call."""
    await client.get(f"{UPSTREAM}/today")
{%- endif %}


@pytest.fixture(autouse=True)
def allow_resource_detection(blockbuster: BlockBuster) -> None:
    """The tracer provider detects its resource in a thread pool that it joins. The service
    builds it once, at import; only these tests build it on a running loop."""
    blockbuster.functions["threading.Lock.acquire"].can_block_in(
        "opentelemetry/sdk/resources/__init__.py", "get_aggregated_resources"
    )


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def log(
    settings: Settings, upstream: FakeUpstream, exporter: InMemorySpanExporter
) -> CapturedLog:
    """Runs the traced service through one `GET /lookup`; the lifespan's end exports the spans."""
    upstream.handler = lambda request: httpx2.Response(200, json={})
    app: FastAPI = create_app(
        settings,
        http_transport=httpx2.MockTransport(upstream),
        extensions=default_extensions(span_exporter=exporter),
    )
    app.add_api_route("/lookup", lookup)
    async with serving(app) as client:
        with capture_log() as log:
            response = await client.get("/lookup")
        assert response.status_code == 200
    return log


def spans(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == kind]


async def test_one_trace_holds_the_request_its_sql_and_its_outbound_call(
    log: CapturedLog, exporter: InMemorySpanExporter
) -> None:
    [request] = spans(exporter, SpanKind.SERVER)
    assert request.name == "GET /lookup"
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/lookup"
{%- if cookiecutter.broker != "none" and cookiecutter.database != "none" %}
    # The outbox relay's polls are traced apart from requests, each in a trace of its own.
    clients = [
        span
        for span in spans(exporter, SpanKind.CLIENT)
        if span.context.trace_id == request.context.trace_id
    ]
{%- else %}
    clients = spans(exporter, SpanKind.CLIENT)
{%- endif %}
{%- if cookiecutter.database != "none" %}
    assert any("SELECT" in span.name for span in clients)
{%- endif %}
    assert any(span.name == "GET" for span in clients)
{%- if cookiecutter.broker == "none" or cookiecutter.database == "none" %}
    assert {span.context.trace_id for span in exporter.get_finished_spans()} == {
        request.context.trace_id
    }
{%- endif %}


async def test_the_upstream_receives_the_trace_context(
    log: CapturedLog, exporter: InMemorySpanExporter, upstream: FakeUpstream
) -> None:
    [request] = spans(exporter, SpanKind.SERVER)
    [call] = upstream.requests
    assert f"{request.context.trace_id:032x}" in call.headers["traceparent"]


async def test_log_lines_carry_the_trace_id(
    log: CapturedLog, exporter: InMemorySpanExporter
) -> None:
    [request] = spans(exporter, SpanKind.SERVER)
    [access] = [line for line in log.lines() if "route" in line]
    assert access["trace_id"] == f"{request.context.trace_id:032x}"
    assert access["request_id"]


def test_without_an_endpoint_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert otlp_exporter() is None
    assert tracer_provider(None) is None


def test_an_endpoint_turns_the_otlp_exporter_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.test:4318")
    exporter = otlp_exporter()
    assert isinstance(exporter, OTLPSpanExporter)
    provider = tracer_provider(exporter)
    assert provider is not None
    provider.shutdown()


async def test_fastapi_adds_no_exporter_of_its_own(
    settings: Settings, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set by a platform for apps that configure nothing themselves; this one does.
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces")
    provider = tracer_provider(InMemorySpanExporter())
    assert provider is not None
    added: list[object] = []
    monkeypatch.setattr(provider, "add_span_processor", added.append)
    transport = httpx2.MockTransport(upstream)
    app = create_app(settings, http_transport=transport, extensions=[TracingExtension(provider)])
    # As a server runs the lifespan: FastAPI adds its exporters when startup begins.
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert added == []
