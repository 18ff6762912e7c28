"""What the service asks of the queue that carries its jobs, whichever server that is."""

from abc import abstractmethod

from taskiq import AsyncBroker
from taskiq.message import TaskiqMessage


class JobQueue(AsyncBroker):
    """A taskiq broker that can also answer readiness, {% if cookiecutter.metrics %}count what waits, {% endif %}and keep the jobs
    that failed for good where an operator can read them."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the server does not answer."""
{%- if cookiecutter.metrics %}

    @abstractmethod
    async def depth(self) -> int:
        """Jobs waiting to be taken."""
{%- endif %}

    @abstractmethod
    async def record_failure(self, message: TaskiqMessage, error: BaseException) -> None:
        """Keep a job that ran out of attempts."""
