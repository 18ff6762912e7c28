"""Prometheus instruments for jobs: enqueued, started, finished by outcome, and their duration
(the worker adds the queue's depth). Each process counts what it did: the web process its
enqueues, the worker the runs (and the retries and sweeps it enqueues)."""

from typing import Any

from prometheus_client import Counter, Histogram
from taskiq import TaskiqMiddleware
from taskiq.exceptions import NoResultError
from taskiq.message import TaskiqMessage
from taskiq.result import TaskiqResult

from {{ cookiecutter.package_name }}.observability.metrics import Metrics


class JobMetrics(TaskiqMiddleware):
    """Counts each job at every step; `outcome` is succeeded, retried (it will run again) or
    failed (out of attempts)."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        registry = metrics.registry
        self.enqueued = Counter(
            "jobs_enqueued", "Jobs sent to the queue.", ["task"], registry=registry
        )
        self.started = Counter(
            "jobs_started", "Jobs a worker began to run.", ["task"], registry=registry
        )
        self.finished = Counter(
            "jobs_finished",
            "Job runs that ended, by outcome.",
            ["task", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "job_duration_seconds", "Time a job run took.", ["task"], registry=registry
        )

    def post_send(self, message: TaskiqMessage) -> None:
        self.enqueued.labels(message.task_name).inc()

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        self.started.labels(message.task_name).inc()
        return message

    def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        if not result.is_err:
            outcome = "succeeded"
        elif isinstance(result.error, NoResultError):
            outcome = "retried"
        else:
            outcome = "failed"
        self.finished.labels(message.task_name, outcome).inc()
        self.duration.labels(message.task_name).observe(result.execution_time)
