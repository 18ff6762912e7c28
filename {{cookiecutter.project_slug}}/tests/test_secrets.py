"""The database URL may hold a password: it never shows in a repr, a dump or a log line."""

import logging

import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.settings import Settings

PASSWORD = "hunter2-do-not-leak"  # noqa: S105 (a made-up one, to look for)
URL = f"postgresql+asyncpg://service:{PASSWORD}@db.internal:5432/service"


@pytest.fixture
def secret_settings() -> Settings:
    return Settings(_env_file=None, database_url=SecretStr(URL))


def test_the_password_stays_out_of_every_rendering(secret_settings: Settings) -> None:
    renderings = [
        repr(secret_settings),
        str(secret_settings),
        secret_settings.model_dump_json(),
        str(secret_settings.model_dump()),
    ]
    assert all(PASSWORD not in rendering for rendering in renderings)
    assert secret_settings.database_url.get_secret_value() == URL


def test_logging_the_settings_does_not_log_the_password(
    secret_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("test").warning("Settings: %s", secret_settings)
    assert PASSWORD not in caplog.text
    assert "**********" in caplog.text
