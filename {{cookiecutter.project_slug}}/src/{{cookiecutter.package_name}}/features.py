"""The optional parts this service was generated with: the one list of them create_app uses."""
{%- if cookiecutter.tracing %}

from opentelemetry.sdk.trace.export import SpanExporter
{%- endif %}

{% if cookiecutter.auth == "jwt" -%}
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
{% endif -%}
{% if cookiecutter.cache == "redis" -%}
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
{% endif -%}
{% if cookiecutter.broker != "none" -%}
from {{ cookiecutter.package_name }}.events.extension import EventsExtension
{% endif -%}
from {{ cookiecutter.package_name }}.extension import Extension
{%- if cookiecutter.jobs == "taskiq" %}
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
{%- endif %}
{%- if cookiecutter.broker != "none" and cookiecutter.database != "none" and cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.broker_metrics import BrokerMetrics
{%- endif %}
{%- if cookiecutter.cache == "redis" and cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.cache_metrics import CacheMetrics
{%- endif %}
{%- if cookiecutter.tracing and cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.observability.database_tracing import DatabaseTracingExtension
{%- endif %}
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.metrics import Metrics
from {{ cookiecutter.package_name }}.observability.metrics_extension import MetricsExtension
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.observability.pool_metrics import PoolMetricsExtension
{%- endif %}
{%- endif %}
{%- if cookiecutter.tracing %}
from {{ cookiecutter.package_name }}.observability.tracing import (
    TracingExtension,
    otlp_exporter,
    tracer_provider,
)
{%- endif %}
{% if cookiecutter.metrics or cookiecutter.tracing or cookiecutter.auth == "jwt" or cookiecutter.cache == "redis" or cookiecutter.jobs == "taskiq" or cookiecutter.broker != "none" %}
{% if cookiecutter.tracing %}
def default_extensions(span_exporter: SpanExporter | None = None) -> list[Extension]:
    """A fresh set for each app, which owns what they hold. `span_exporter` receives the spans
    instead of the OTLP endpoint."""
{%- else %}
def default_extensions() -> list[Extension]:
    """A fresh set for each app, which owns what they hold."""
{%- endif %}
{%- if cookiecutter.metrics %}
    metrics = Metrics()
{%- endif %}
{%- if cookiecutter.tracing %}
    provider = tracer_provider(span_exporter or otlp_exporter())
{%- endif %}
    return [
{%- if cookiecutter.metrics %}
        MetricsExtension(metrics),
{%- if cookiecutter.database != "none" %}
        PoolMetricsExtension(metrics),
{%- endif %}
{%- endif %}
{%- if cookiecutter.tracing %}
        TracingExtension(provider),
{%- if cookiecutter.database != "none" %}
        DatabaseTracingExtension(provider),
{%- endif %}
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
        AuthExtension(),
{%- endif %}
{%- if cookiecutter.cache == "redis" and cookiecutter.metrics %}
        CacheExtension(CacheMetrics(metrics)),
{%- elif cookiecutter.cache == "redis" %}
        CacheExtension(),
{%- endif %}
{%- if cookiecutter.jobs == "taskiq" and cookiecutter.metrics %}
        JobsExtension(metrics),
{%- elif cookiecutter.jobs == "taskiq" %}
        JobsExtension(),
{%- endif %}
{%- if cookiecutter.broker != "none" and cookiecutter.database != "none" and cookiecutter.metrics %}
        EventsExtension(BrokerMetrics(metrics)),
{%- elif cookiecutter.broker != "none" %}
        EventsExtension(),
{%- endif %}
    ]
{%- else %}

def default_extensions() -> list[Extension]:
    """None so far: an optional part subclasses Extension and is listed here."""
    return []
{%- endif %}
