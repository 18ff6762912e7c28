"""Event-loop lag: how late the loop runs a timer that is due.

Anything that holds the loop (a blocking call, a long computation) delays every other task,
and a timer due meanwhile fires late by as much. One timer per interval costs next to nothing,
so the monitor runs in production all the time.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Self

logger = logging.getLogger(__name__)


class LoopLagMonitor:
    """Measures the lag of one event loop and warns when it reaches `threshold` (seconds).

{% if cookiecutter.metrics %}    The metrics read `latest`, `worst` and `stalls`; the suite's stall check reads `worst`.
{% else %}    The suite's stall check reads `worst`.
{% endif %}    As a context manager it measures the running loop until the block exits. `clock` measures
    the lag: by default the loop's own (wall) clock, which is what requests feel; the tests pass
    a CPU-time clock, which a busy machine does not inflate.
    """

    def __init__(
        self, interval: float, threshold: float, clock: Callable[[], float] | None = None
    ) -> None:
        self.interval = interval
        self.threshold = threshold
        self._clock = clock
{%- if cookiecutter.metrics %}
        self._latest = 0.0
{%- endif %}
        self._worst = 0.0
{%- if cookiecutter.metrics %}
        self._stalls = 0
{%- endif %}
        self._timer: asyncio.TimerHandle | None = None

{%- if cookiecutter.metrics %}

    @property
    def latest(self) -> float:
        """The lag of the most recent timer, in seconds."""
        return self._latest
{%- endif %}

    @property
    def worst(self) -> float:
        """The largest lag since the monitor started, in seconds."""
        return self._worst
{%- if cookiecutter.metrics %}

    @property
    def stalls(self) -> int:
        """How many timers ran at least `threshold` late."""
        return self._stalls
{%- endif %}

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Measure `loop` (by default the running one); it need not be running yet."""
        self._schedule(loop or asyncio.get_running_loop())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _now(self, loop: asyncio.AbstractEventLoop) -> float:
        return self._clock() if self._clock else loop.time()

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # A plain timer rather than a task: it runs in the very loop iteration that follows a
        # stall, and there is no task to keep or to cancel.
        self._timer = loop.call_later(self.interval, self._wake, loop, self._now(loop))

    def _wake(self, loop: asyncio.AbstractEventLoop, scheduled_at: float) -> None:
        # A timer may run a hair early (the loop's clock resolution): that is no lag.
        lag = max(0.0, self._now(loop) - scheduled_at - self.interval)
        self._schedule(loop)
{%- if cookiecutter.metrics %}
        self._latest = lag
{%- endif %}
        self._worst = max(self._worst, lag)
        if lag >= self.threshold:
{%- if cookiecutter.metrics %}
            self._stalls += 1
{%- endif %}
            logger.warning(
                "Event loop lag %.3f s (threshold %.3f s): something held the loop; "
                "blocking calls and long computations belong in a worker thread",
                lag,
                self.threshold,
            )
