"""Read what the service's configured log handler writes, with its real format and filters."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from {{ cookiecutter.package_name }}.observability.logging_config import ServiceLogHandler


class CapturedLog:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line as JSON: a line that is not JSON fails the test here."""
        return [json.loads(line) for line in self.text().splitlines()]


def service_handler() -> ServiceLogHandler:
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h, ServiceLogHandler)]
    return handler


@contextmanager
def capture_log() -> Iterator[CapturedLog]:
    """Point the handler that create_app installed at a buffer while the block runs."""
    handler = service_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield CapturedLog(stream)
    finally:
        if previous is not None:
            handler.setStream(previous)
