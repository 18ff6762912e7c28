"""All configuration in one typed object, read from the environment and `.env`."""

from typing import Literal

{% if cookiecutter.database != "none" -%}
from pydantic import AnyHttpUrl, Field, SecretStr
{% else -%}
from pydantic import AnyHttpUrl, Field
{% endif -%}
from pydantic_settings import BaseSettings, SettingsConfigDict
{%- if cookiecutter.database == "postgresql" %}

# The server `docker compose up` starts; deployments set the URL in the environment.
LOCAL_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{{ cookiecutter.package_name }}"
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
{%- elif cookiecutter.database == "postgresql" %}

    database_url: SecretStr = SecretStr(LOCAL_DATABASE_URL)
    database_echo: bool = False
    # Each replica holds at most pool_size + max_overflow connections: keep the sum over all
    # replicas under the server's max_connections.
    database_pool_size: int = Field(default=5, gt=0)
    database_max_overflow: int = Field(default=10, ge=0)
    # Seconds to wait for a free pooled connection, and for the server to accept a new one:
    # a database that is down or saturated fails a request quickly instead of hanging it.
    database_pool_timeout: float = Field(default=5.0, gt=0)
    database_connect_timeout: float = Field(default=3.0, gt=0)
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

{%- if cookiecutter.jobs == "taskiq" %}
{%- if cookiecutter.broker == "rabbitmq" %}

    # The RabbitMQ server; the worker's jobs travel through it as well.
    broker_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
{%- else %}

    # The Redis server that carries the jobs (a stream with a consumer group).
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_socket_connect_timeout: float = Field(default=2.0, gt=0)
    redis_socket_timeout: float = Field(default=5.0, gt=0)
    redis_max_connections: int = Field(default=20, gt=1)
{%- endif %}

    # Background jobs (worker.py). The queue's name; several services may share one server.
    jobs_queue: str = "{{ cookiecutter.package_name }}.jobs"
    # A failing job runs at most this many times in all, waiting base * 2**retry (capped at
    # max_delay) between runs; then it is recorded as failed (README: Background jobs).
    jobs_max_attempts: int = Field(default=4, ge=1, le=20)
    jobs_retry_base_delay: float = Field(default=1.0, ge=0)
    jobs_retry_max_delay: float = Field(default=30.0, ge=0)
    # Jobs one worker process runs at once.
    jobs_concurrency: int = Field(default=10, gt=0)
    # On SIGTERM the worker takes no new job and waits this long for the running ones; a job
    # still running then is left unacknowledged, and runs again on another worker.
    jobs_shutdown_grace: float = Field(default=20.0, ge=0)
{%- if cookiecutter.broker != "rabbitmq" %}
    # A job taken by a worker that died is handed to another after this many seconds: keep it
    # above the longest job, or a slow job runs twice at once.
    jobs_redelivery_after: float = Field(default=60.0, gt=0)
{%- endif %}
    # When the scheduler enqueues the sweep that enriches items a lost enqueue left behind.
    jobs_sweep_cron: str = "*/5 * * * *"
    # The worker's own HTTP port: /health/live, /health/ready{% if cookiecutter.metrics %} and /metrics{% endif %}.
    jobs_worker_port: int = Field(default=8001, gt=0, lt=65536)
{%- endif %}

    # The loop-lag monitor wakes every interval and warns when a wake-up comes this late.
    loop_lag_interval: float = Field(default=0.1, gt=0)
    loop_lag_threshold: float = Field(default=0.1, gt=0)
