"""Several workers (`uvicorn --workers N`) with PROMETHEUS_MULTIPROC_DIR set: each keeps its
counts in files there, and a scrape of any worker reports the sum of all of them."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx2
import pytest
from blockbuster import BlockBuster
from prometheus_client import values

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.scrape import scrape, value

LIVE = {"method": "GET", "route": "/health/live", "status": "200"}


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    # A directory of its own: prometheus-client reads every *.db file there.
    path = tmp_path / "metrics"
    path.mkdir()
    return path


@pytest.fixture
def as_worker(
    directory: Path, monkeypatch: pytest.MonkeyPatch, blockbuster: BlockBuster
) -> Callable[[int], None]:
    """Make the apps built next count like the worker process `pid` with the variable set.

    prometheus-client reads the variable once, when first imported, and then picks where
    values live; here that choice is made again for each pretend worker.
    """
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    # A worker creates its files once per kind of metric, on the first value of each.
    for function in blockbuster.functions.values():
        function.can_block_in("prometheus_client/values.py", "__init__")

    def become(pid: int) -> None:
        value_class = values.MultiProcessValue(lambda: pid)  # type: ignore[no-untyped-call]
        monkeypatch.setattr(values, "ValueClass", value_class)

    return become


@pytest.fixture
async def workers(
    settings: Settings, as_worker: Callable[[int], None]
) -> AsyncIterator[dict[int, httpx2.AsyncClient]]:
    """Two pretend workers, each serving the service's app."""
    async with AsyncExitStack() as stack:
        clients = {}
        for pid in (101, 102):
            as_worker(pid)
            clients[pid] = await stack.enter_async_context(serving(create_app(settings)))
        yield clients


async def test_a_scrape_of_one_worker_counts_every_workers_requests(
    workers: dict[int, httpx2.AsyncClient], as_worker: Callable[[int], None], directory: Path
) -> None:
    for pid, requests in ((101, 2), (102, 1)):
        as_worker(pid)
        for _ in range(requests):
            await workers[pid].get("/health/live")
    samples = await scrape(workers[102])
    assert sorted([path.name async for path in anyio.Path(directory).iterdir()]) == [
        "counter_101.db",
        "counter_102.db",
        "gauge_livesum_101.db",
        "gauge_livesum_102.db",
{%- if cookiecutter.broker != "none" and cookiecutter.database != "none" %}
        # The outbox's gauges: every worker reads the same table, the highest reading counts.
        "gauge_max_101.db",
        "gauge_max_102.db",
{%- endif %}
        "histogram_101.db",
        "histogram_102.db",
    ]
    assert value(samples, "http_requests_total", **LIVE) == 3
    # Readings taken at scrape time (the loop lag) are the scraped worker's own.
    assert value(samples, "event_loop_lag_seconds") is not None
