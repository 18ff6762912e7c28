"""Counters and gauges for the broker parts: messages published, consumed, failed and
dead-lettered, and the outbox's backlog."""

from prometheus_client import Counter, Gauge

from {{ cookiecutter.package_name }}.events.observer import EventsObserver
from {{ cookiecutter.package_name }}.observability.metrics import Metrics


class BrokerMetrics(EventsObserver):
    def __init__(self, metrics: Metrics) -> None:
        self.published_messages = Counter(
            "broker_published_messages",
            "Events the broker confirmed, by type.",
            ["type"],
            registry=metrics.registry,
        )
        self.consumed_messages = Counter(
            "broker_consumed_messages",
            "Consumed messages handled and acknowledged.",
            registry=metrics.registry,
        )
        self.failed_messages = Counter(
            "broker_failed_messages",
            "Consumed messages that could not be handled (malformed, or the handler raised).",
            registry=metrics.registry,
        )
        self.dead_lettered_messages = Counter(
            "broker_dead_lettered_messages",
            "Consumed messages given up on after their last delivery.",
            registry=metrics.registry,
        )
        # Every replica counts the same table: the highest reading is the freshest.
        self.outbox_pending = Gauge(
            "outbox_pending_events",
            "Events waiting in the outbox to be published.",
            registry=metrics.registry,
            multiprocess_mode="max",
        )
        self.outbox_oldest_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "How long the oldest event waiting in the outbox has waited.",
            registry=metrics.registry,
            multiprocess_mode="max",
        )

    def published(self, kind: str) -> None:
        self.published_messages.labels(kind).inc()

    def consumed(self) -> None:
        self.consumed_messages.inc()

    def failed(self, *, dead_lettered: bool) -> None:
        self.failed_messages.inc()
        if dead_lettered:
            self.dead_lettered_messages.inc()

    def outbox(self, pending: int, oldest_age: float) -> None:
        self.outbox_pending.set(pending)
        self.outbox_oldest_age.set(oldest_age)
