import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator

import pytest
from blockbuster import BlockBuster
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings

INTERVAL = 0.01
THRESHOLD = 0.1
STALL = 0.15


def hold_the_loop(seconds: float) -> None:
    """Block the thread the way a forgotten sync call does."""
    time.sleep(seconds)


@pytest.fixture(autouse=True)
def allow_the_stall(blockbuster: BlockBuster) -> None:
    # These tests stall the loop on purpose, with a blocking sleep in this one helper.
    blockbuster.functions["time.sleep"].can_block_in("tests/test_loop_lag.py", "hold_the_loop")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


async def test_a_stall_is_measured_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with LoopLagMonitor(INTERVAL, THRESHOLD) as monitor:
        hold_the_loop(STALL)
        await asyncio.sleep(INTERVAL)  # the late timer runs now
{%- if cookiecutter.metrics %}
    assert monitor.stalls >= 1
{%- endif %}
    assert monitor.worst >= STALL - INTERVAL
    expected = f"Event loop lag {monitor.worst:.3f} s (threshold {THRESHOLD:.3f} s)"
    assert expected in warnings(caplog)[0]


async def test_a_busy_but_healthy_loop_is_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    """Many short steps, as under real traffic: each yields in time, so nothing is reported.

    Measured in CPU time, as the suite's stall check does: on the wall clock a machine loaded
    by other processes makes any loop late, which this test must not depend on.
    """

    async def short_steps() -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    # A full garbage collection of a large test process is one long step of its own: not the
    # traffic this test plays.
    gc.collect()
    gc.disable()
    try:
        with LoopLagMonitor(INTERVAL, THRESHOLD, clock=time.thread_time) as monitor:
            await asyncio.gather(*(short_steps() for _ in range(100)))
            await asyncio.sleep(2 * INTERVAL)
    finally:
        gc.enable()
    assert monitor.worst < THRESHOLD
    assert not caplog.records


async def test_leaving_the_block_stops_the_monitor(caplog: pytest.LogCaptureFixture) -> None:
    with LoopLagMonitor(INTERVAL, THRESHOLD):
        await asyncio.sleep(0)
    # A timer still pending would run late after this stall, and report it.
    hold_the_loop(STALL)
    await asyncio.sleep(2 * INTERVAL)
    assert warnings(caplog) == []


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The service started with a fast monitor (the lifespan exits it with its other resources)."""
    settings = settings.model_copy(
        update={"loop_lag_interval": INTERVAL, "loop_lag_threshold": THRESHOLD}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_the_service_monitors_its_loop(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    resources: Resources = app.state.resources
    hold_the_loop(STALL)
    await asyncio.sleep(INTERVAL)
    assert resources.loop_lag.worst >= STALL - INTERVAL
    assert any(warning.startswith("Event loop lag") for warning in warnings(caplog))
