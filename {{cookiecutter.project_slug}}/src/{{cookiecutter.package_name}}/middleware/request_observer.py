"""What is told of every request and its outcome (the access log{% if cookiecutter.metrics %}, the metrics{% endif %}): the service's
middleware times each request once, looks its route template up once and hands the outcome to
every observer."""

from typing import Protocol

from starlette.types import Scope


class RequestObserver(Protocol):
    def started(self) -> None:
        """A request is about to be handled."""

    def finished(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        """The request was answered `status` after `seconds`, matched by the `route` template."""
