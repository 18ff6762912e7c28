"""What the broker parts report as they work{% if cookiecutter.metrics %}: observability/broker_metrics.py counts it{% endif %}."""

from collections.abc import Callable
from types import TracebackType
from typing import Any

from faststream import BaseMiddleware


class EventsObserver:
    """Told of each message published, consumed, failed or dead-lettered, and of the outbox's
    backlog. This one ignores them; a subclass overrides what it wants to count."""

    def published(self, kind: str) -> None:
        """The broker confirmed an event of this type."""

    def consumed(self) -> None:
        """A consumed message was handled and acknowledged."""

    def failed(self, *, dead_lettered: bool) -> None:
        """A consumed message could not be handled (malformed, or its handler raised): it comes
        back, or after its last delivery (`dead_lettered`) goes to the dead letters."""

    def outbox(self, pending: int, oldest_age: float) -> None:
        """Events waiting in the outbox, and how long the oldest has waited, in seconds."""


def observing(
    observer: EventsObserver, deliveries: Callable[[Any], int], max_deliveries: int
) -> type[BaseMiddleware[Any, Any]]:
    """A FastStream middleware that tells `observer` how each consumed message ended.
    `deliveries(raw)` is how many times the broker has delivered the raw message so far."""

    class Observing(BaseMiddleware[Any, Any]):
        async def after_processed(
            self,
            exc_type: type[BaseException] | None = None,
            exc_val: BaseException | None = None,
            exc_tb: TracebackType | None = None,
        ) -> bool | None:
            if exc_type is None:
                observer.consumed()
            else:
                observer.failed(dead_lettered=deliveries(self.msg) >= max_deliveries)
            return False

    return Observing
