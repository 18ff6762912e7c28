"""Fail any async test that stalls its event loop: the check for what blockbuster cannot see.

blockbuster fails a test on a known blocking call. A long computation makes no such call but
holds the loop all the same, so every async test also runs under the service's lag monitor.
Here the monitor counts the CPU time the loop's thread spends between two timers: a busy
machine that pauses the whole process adds nothing to it, so the check does not flake on a
loaded CI runner.
"""

import asyncio
import gc
import threading
import time
from collections.abc import Generator
from typing import Any, Self

import pytest

from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor

# Measured on a loaded two-core machine with coverage on, the unmodified tests stay under
# 0.07 s; a stall worth finding is longer, and every request in flight waits it out.
STALL_LIMIT = 0.25
PROBE_INTERVAL = 0.005

EVENT_LOOP = pytest.StashKey[asyncio.AbstractEventLoop]()


class EventLoopStallError(AssertionError):
    """The test held its event loop longer than STALL_LIMIT."""


class LoopThreadClock:
    """CPU time of the thread that creates it, less the time spent collecting garbage there.

    A collection pauses the loop too, but for as long as the heap is large, whatever the code
    under test does; it is no stall of the test's making.
    """

    def __init__(self) -> None:
        self._thread = threading.get_ident()
        self._collecting_since = 0.0
        self._collected = 0.0

    def __call__(self) -> float:
        return time.thread_time() - self._collected

    def __enter__(self) -> Self:
        gc.callbacks.append(self._on_collection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            self._collecting_since = time.thread_time()
        else:
            self._collected += time.thread_time() - self._collecting_since


@pytest.fixture(autouse=True)
async def _remember_event_loop(request: pytest.FixtureRequest) -> None:
    """Note the loop this test runs on, for the probe below."""
    request.node.stash[EVENT_LOOP] = asyncio.get_running_loop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    loop = item.stash.get(EVENT_LOOP, None)
    if loop is None or item.get_closest_marker("asyncio") is None:
        return (yield)
    # Only the test's own run is measured: fixtures start and stop the service around it.
    with LoopThreadClock() as clock:
        monitor = LoopLagMonitor(PROBE_INTERVAL, STALL_LIMIT, clock=clock)
        monitor.start(loop)
        try:
            yield
        finally:
            monitor.stop()
    if monitor.worst >= STALL_LIMIT:
        raise EventLoopStallError(
            f"The event loop stalled: it ran {monitor.worst:.3f} s of CPU time without "
            f"yielding (limit {STALL_LIMIT} s): a long computation held it. Run such work in a "
            "worker thread with anyio.to_thread.run_sync."
        )
