"""Logging, set up once when the app is built: JSON lines in production, readable lines in
development, every line carrying the id of the request that wrote it.

uvicorn applies its own logging configuration before it imports the app, so this one, applied
later, wins. uvicorn's server messages go through the same handler; its access log is switched
off, because access_log.py writes a better one (route template, request id).
"""

import logging
import sys
from typing import TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from {{ cookiecutter.package_name }}.request_id import request_id_var
from {{ cookiecutter.package_name }}.settings import Settings

CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# Fields every JSON line has; anything passed as `extra=` is added after them.
JSON_FIELDS = ["levelname", "name", "message"]
JSON_RENAMES = {"levelname": "level", "name": "logger"}
# uvicorn adds an ANSI-coloured copy of some messages, for terminals only.
JSON_SKIPPED = [*RESERVED_ATTRS, "color_message"]


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: None outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ServiceLogHandler(logging.StreamHandler[TextIO]):
    """The handler configure_logging installs on the root logger; a type of its own, so that
    configuring again (one app per test) replaces it instead of adding a second one."""


def formatter(settings: Settings) -> logging.Formatter:
    """JSON unless asked otherwise, or in development, where a person reads the lines."""
    log_format = settings.log_format
    if log_format is None:
        log_format = "console" if settings.environment == "development" else "json"
    if log_format == "console":
        return logging.Formatter(CONSOLE_FORMAT)
    return JsonFormatter(
        JSON_FIELDS, rename_fields=JSON_RENAMES, reserved_attrs=JSON_SKIPPED, timestamp="time"
    )


def configure_logging(settings: Settings, *filters: logging.Filter) -> ServiceLogHandler:
    """Route every log record, uvicorn's included, through one handler; `filters` add fields."""
    handler = ServiceLogHandler(sys.stderr)
    handler.setFormatter(formatter(settings))
    for log_filter in (RequestIdFilter(), *filters):
        handler.addFilter(log_filter)

    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level)

    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # Without a handler, uvicorn skips its access log entirely, formatting included.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    # httpx2 logs every outbound call at INFO: a second line for each request that calls out,
    # as costly as the access line and telling less.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    return handler
