"""All configuration in one typed object, read from the environment and `.env`."""

from typing import Literal

{% if cookiecutter.database != "none" -%}
from pydantic import AnyHttpUrl, Field, SecretStr
{% else -%}
from pydantic import AnyHttpUrl, Field
{% endif -%}
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Each field comes from the variable `{{ cookiecutter.__env_prefix }}` + its name in capitals."""

    model_config = SettingsConfigDict(
        env_prefix="{{ cookiecutter.__env_prefix }}",
        env_file=".env",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
{%- if cookiecutter.database != "none" %}

    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./{{ cookiecutter.package_name }}.db")
    database_echo: bool = False
{%- endif %}

    quotes_url: AnyHttpUrl = AnyHttpUrl("https://quotes.example.com")
    http_connect_timeout: float = Field(default=2.0, gt=0)
    http_read_timeout: float = Field(default=5.0, gt=0)
    http_pool_timeout: float = Field(default=2.0, gt=0)
    http_max_connections: int = Field(default=100, gt=0)

    # The loop-lag monitor wakes every interval and warns when a wake-up comes this late.
    loop_lag_interval: float = Field(default=0.1, gt=0)
    loop_lag_threshold: float = Field(default=0.1, gt=0)
