"""All configuration in one typed object, read from the environment and `.env`."""

{% if cookiecutter.jobs == "taskiq" -%}
from datetime import UTC, datetime
{% endif -%}
from typing import Literal

{% if cookiecutter.cache == "redis" -%}
from pydantic import AnyHttpUrl, Field, IPvAnyNetwork, SecretStr{% if cookiecutter.auth == "jwt" or cookiecutter.jobs == "taskiq" %}, field_validator{% endif %}
{% elif cookiecutter.jobs == "taskiq" -%}
from pydantic import AnyHttpUrl, Field, SecretStr{% if cookiecutter.auth == "jwt" or cookiecutter.jobs == "taskiq" %}, field_validator{% endif %}
{% else -%}
from pydantic import AnyHttpUrl, Field{% if cookiecutter.database != "none" or cookiecutter.broker != "none" %}, SecretStr{% endif %}{% if cookiecutter.auth == "jwt" %}, field_validator{% endif %}
{% endif -%}
from pydantic_settings import BaseSettings, SettingsConfigDict
{%- if cookiecutter.jobs == "taskiq" %}
from taskiq.cli.scheduler.run import CronValueError, is_cron_task_now
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}

# The server `docker compose up` starts; deployments set the URL in the environment.
LOCAL_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{{ cookiecutter.package_name }}"
{%- endif %}

{%- if cookiecutter.auth == "jwt" %}

# Signature algorithms that verify with a public key; `none` and HMAC (a shared secret) are not
# among them, so a token can never choose to be checked against the public key as a secret.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
{%- endif %}


class Settings(BaseSettings):
    """Each field comes from the variable `{{ cookiecutter.__env_prefix }}` + its name in capitals."""

    model_config = SettingsConfigDict(
        env_prefix="{{ cookiecutter.__env_prefix }}",
        env_file=".env",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    # Log lines as JSON (for a log pipeline) or readable text; unset: text in development only.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One line per request; the costliest part of the middleware, so it can be turned off where
    # an ingress or a mesh already logs every request.
    access_log: bool = True
{%- if cookiecutter.database == "sqlite" %}

    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./{{ cookiecutter.package_name }}.db")
    database_echo: bool = False
    # Connections kept open, and opened beyond them for a burst of load (closed after it).
    database_pool_size: int = Field(default=15, gt=0)
    database_max_overflow: int = Field(default=0, ge=0)
    # Seconds a request waits for a free pooled connection before it is answered 503.
    database_pool_timeout: float = Field(default=5.0, gt=0)
{%- elif cookiecutter.database == "postgresql" %}

    database_url: SecretStr = SecretStr(LOCAL_DATABASE_URL)
    database_echo: bool = False
    # Each replica holds at most pool_size + max_overflow connections: keep the sum over all
    # replicas under the server's max_connections.
    database_pool_size: int = Field(default=10, gt=0)
    database_max_overflow: int = Field(default=0, ge=0)
    # Seconds to wait for a free pooled connection, and for the server to accept a new one:
    # a database that is down or saturated fails a request quickly instead of hanging it.
    database_pool_timeout: float = Field(default=5.0, gt=0)
    database_connect_timeout: float = Field(default=3.0, gt=0)
    # Seconds after which a pooled connection is opened anew, when next borrowed.
    database_pool_recycle: float = Field(default=300.0, gt=0)
{%- endif %}

    quotes_url: AnyHttpUrl = AnyHttpUrl("https://quotes.example.com")
    http_connect_timeout: float = Field(default=2.0, gt=0)
    http_read_timeout: float = Field(default=5.0, gt=0)
    http_pool_timeout: float = Field(default=2.0, gt=0)
    http_max_connections: int = Field(default=100, gt=0)
    # Idempotent outbound calls are tried at most this many times in all, waiting a random time
    # up to base * 2**retry (capped at max_delay) between tries.
    http_retry_attempts: int = Field(default=3, ge=1, le=10)
    http_retry_base_delay: float = Field(default=0.1, ge=0)
    http_retry_max_delay: float = Field(default=2.0, ge=0)

    # Guards at the edge: request bodies beyond this size are refused with 413.
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Browser origins allowed to call the API (CORS); none unless listed.
    cors_origins: list[str] = []
    # Host headers the service answers; others get 400. Add the names clients use in production.
    trusted_hosts: list[str] = ["localhost", "127.0.0.1"]
    # /docs, /redoc and /openapi.json; turn off where the API must not describe itself.
    api_docs: bool = True
{%- if cookiecutter.broker == "rabbitmq" %}

    broker_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    # The durable topic exchange the service publishes its events to: part of its public contract.
    broker_exchange: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
{%- elif cookiecutter.broker == "nats" %}

    broker_url: SecretStr = SecretStr("nats://127.0.0.1:4222")
    # The JetStream stream that keeps the service's events: part of its public contract.
    broker_stream: str = Field(default="{{ cookiecutter.package_name.upper() }}", min_length=1)
    # Its events go out on subjects under it: `<prefix>.<event type>`.
    broker_subject_prefix: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
{%- endif %}
{%- if cookiecutter.broker != "none" %}
    # Seconds to reach the broker at start-up, and to wait for it to confirm one message.
    broker_connect_timeout: float = Field(default=5.0, gt=0)
    broker_publish_timeout: float = Field(default=5.0, gt=0)
{%- if cookiecutter.database != "none" %}
    # The outbox relay looks for new events every interval and publishes up to a batch at a
    # time; while the broker is down it waits longer each time, up to the maximum backoff.
    broker_relay_interval: float = Field(default=0.2, gt=0)
    broker_relay_batch_size: int = Field(default=100, gt=0)
    broker_relay_max_backoff: float = Field(default=10.0, gt=0)
    # Published events stay in the outbox this many seconds, for inspection, then are pruned.
    broker_outbox_retention: float = Field(default=86_400.0, ge=0)
    # A consumed message that fails this many times is dead-lettered instead of retried.
    broker_max_deliveries: int = Field(default=5, ge=1)
{%- if cookiecutter.broker == "rabbitmq" %}
    # The catalog service's exchange, whose items.withdrawn events the service consumes.
    broker_catalog_exchange: str = Field(default="catalog", min_length=1)
{%- else %}
    # The catalog service's stream and the subject of its item-withdrawn events.
    broker_catalog_stream: str = Field(default="CATALOG", min_length=1)
    broker_catalog_subject: str = Field(default="catalog.items.withdrawn", min_length=1)
{%- endif %}
{%- endif %}
{%- endif %}

{%- if cookiecutter.auth == "jwt" %}

    # The identity provider whose access tokens the API accepts (README: Authentication). Both
    # must be set: the service refuses to start without them.
    auth_issuer: str | None = None
    auth_audience: str | None = None
    # The signing keys (a JWK Set, over http(s) or from a file:// URL); unset, the issuer's
    # /.well-known/openid-configuration names them.
    auth_jwks_url: str | None = None
    # The token's `alg` must be one of these: asymmetric only, never `none` or HMAC.
    auth_algorithms: list[str] = ["RS256", "ES256"]
    # Seconds of clock skew allowed on exp, nbf and iat.
    auth_leeway: int = Field(default=30, ge=0, le=300)
    # Keys are fetched again after this many seconds, and sooner for a token naming an unknown
    # key, but never twice within the refresh interval (a flood of made-up key ids must not
    # become a flood of requests to the identity provider).
    auth_jwks_cache_seconds: float = Field(default=600, gt=0)
    auth_jwks_refresh_interval: float = Field(default=30, ge=0)
{%- endif %}

    # The loop-lag monitor wakes every interval and warns when a wake-up comes this late.
    loop_lag_interval: float = Field(default=0.1, gt=0)
    loop_lag_threshold: float = Field(default=0.1, gt=0)
{%- if cookiecutter.cache == "redis" or cookiecutter.jobs == "taskiq" %}

    # Redis, for {% if cookiecutter.cache == "redis" %}{% if cookiecutter.database != "none" %}the item cache and {% endif %}rate limiting{% endif %}{% if cookiecutter.cache == "redis" and cookiecutter.jobs == "taskiq" %}, and {% endif %}{% if cookiecutter.jobs == "taskiq" %}the job queue{% endif %}.
    # A secret: the URL may hold a password.
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
{%- if cookiecutter.cache == "redis" %}
    # Seconds to connect and to wait for each answer (and for a free pooled connection):
    # a slow Redis is treated as an absent one, and the service goes on without it.
{%- else %}
    # Seconds to connect and to wait for each answer: an enqueue to a Redis that is down fails
    # quickly (the scheduled sweep enqueues the job later).
{%- endif %}
    redis_socket_connect_timeout: float = Field(default=0.5, gt=0)
    redis_socket_timeout: float = Field(default=0.5, gt=0)
    redis_max_connections: int = Field(default=50, gt=0)
{%- endif %}
{%- if cookiecutter.cache == "redis" %}
    # Every key the service writes starts with this, so that services can share one Redis.
    redis_key_prefix: str = "{{ cookiecutter.package_name }}:"
    # After a failed call the service leaves Redis alone this long before trying again.
    redis_backoff: float = Field(default=1.0, ge=0)
{%- if cookiecutter.database != "none" %}
    # Seconds an item stays cached: also the longest another replica can serve an item whose
    # invalidation could not reach Redis.
    cache_ttl: float = Field(default=60.0, gt=0)
{%- endif %}
    # At most this many requests per client in each window of this many seconds; 0 turns
    # rate limiting off (where a gateway limits already).
    rate_limit_requests: int = Field(default=100, ge=0)
    rate_limit_window: int = Field(default=60, gt=0)
    # Proxies (addresses or networks) whose X-Forwarded-For names the real client.
    rate_limit_trusted_proxies: list[IPvAnyNetwork] = []
{%- endif %}
{%- if cookiecutter.jobs == "taskiq" %}

    # Background jobs (worker.py), on a Redis stream of this name; several services may share
    # one Redis.
    jobs_queue: str = "{{ cookiecutter.package_name }}.jobs"
    # A failing job runs at most this many times in all, waiting a random time up to
    # base * 2**retry (capped at max_delay) between runs; then it is recorded as failed
    # (README: Background jobs).
    jobs_max_attempts: int = Field(default=4, ge=1, le=20)
    jobs_retry_base_delay: float = Field(default=1.0, ge=0)
    jobs_retry_max_delay: float = Field(default=30.0, ge=0)
    # Jobs one worker process runs at once.
    jobs_concurrency: int = Field(default=10, gt=0)
    # On SIGTERM the worker takes no new job and waits this long for the running ones; a job
    # still running then is left unacknowledged, and runs again on another worker.
    jobs_shutdown_grace: float = Field(default=20.0, ge=0)
    # A job taken by a worker that died is handed to another after this many seconds: keep it
    # above the longest job, or a slow job runs twice at once.
    jobs_redelivery_after: float = Field(default=60.0, gt=0)
    # When the scheduler enqueues the sweep that enriches items a lost enqueue left behind.
    jobs_sweep_cron: str = "*/5 * * * *"
    # The worker's own HTTP port: /health/live, /health/ready{% if cookiecutter.metrics %} and /metrics{% endif %}.
    jobs_worker_port: int = Field(default=8001, gt=0, lt=65536)
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}

    # Strings, not URLs: an issuer must match the token's `iss` character for character.
    @field_validator("auth_issuer")
    @classmethod
    def _issuer_is_a_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s):// URL")
        return value

    @field_validator("auth_jwks_url")
    @classmethod
    def _jwks_url_is_a_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://", "file://")):
            raise ValueError(f"{value!r} is not an http(s):// or file:// URL")
        return value

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = sorted(set(value) - ASYMMETRIC_ALGORITHMS)
        if refused:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            raise ValueError(f"{', '.join(refused)} not allowed; choose from {allowed}")
        if not value:
            raise ValueError("at least one algorithm is needed")
        return value
{%- endif %}
{%- if cookiecutter.jobs == "taskiq" %}

    # The scheduler would only log a warning at each tick of a cron it cannot read, and never
    # run the job: refuse it at start-up instead.
    @field_validator("jobs_sweep_cron")
    @classmethod
    def _is_a_cron_expression(cls, value: str) -> str:
        fields = value.split()
        try:
            if len(fields) != 5:
                raise CronValueError(f"{len(fields)} fields")
            is_cron_task_now(value, datetime.now(UTC))
        except CronValueError as error:
            raise ValueError(
                f"{value!r} is not a cron expression of five fields "
                f"(minute hour day-of-month month day-of-week): {error}"
            ) from None
        return value
{%- endif %}
