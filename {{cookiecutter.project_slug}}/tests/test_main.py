import gc
import importlib
import sys
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
from {{ cookiecutter.package_name }}.settings import Settings

MAIN = "{{ cookiecutter.package_name }}.main"


@pytest.fixture
def frozen_by_main(settings: Settings) -> Iterator[int]:
    """How many objects importing the entry point freezes. The import builds an app with the
    default settings, which reconfigures logging: the tests' logging is put back afterwards."""
    gc.unfreeze()
    sys.modules.pop(MAIN, None)
    importlib.import_module(MAIN)
    yield gc.get_freeze_count()
    gc.unfreeze()
    sys.modules.pop(MAIN, None)
    configure_logging(settings)


def test_the_entry_point_freezes_what_startup_made(frozen_by_main: int) -> None:
    assert frozen_by_main > 10_000


def test_the_entry_point_builds_the_api_document_before_serving(frozen_by_main: int) -> None:
    app = sys.modules[MAIN].app
    assert app.openapi_url == "/openapi.json"
    assert app.openapi_schema is not None
