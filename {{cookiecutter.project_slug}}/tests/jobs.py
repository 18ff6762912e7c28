"""Stand-ins and helpers for the job tests: an in-memory queue, and a real worker process."""

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx2
from taskiq import InMemoryBroker
from taskiq.message import BrokerMessage, TaskiqMessage

{% if cookiecutter.auth == "jwt" -%}
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
{% endif -%}
{% if cookiecutter.cache == "redis" -%}
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
{% endif -%}
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from tests.server import PREFIX, Server, free_port

QUOTE = {"text": "Slow and steady.", "author": "Aesop"}

# Retries in the tests wait no time at all.
FAST_RETRIES: dict[str, Any] = {"jobs_retry_base_delay": 0, "jobs_max_attempts": 3}


def parts(jobs: JobsExtension) -> list[Extension]:
{%- if cookiecutter.auth == "jwt" or cookiecutter.cache == "redis" %}
    """`jobs`, and what else the items routes need: {% if cookiecutter.auth == "jwt" %}the token check{% endif %}{% if cookiecutter.auth == "jwt" and cookiecutter.cache == "redis" %} and {% endif %}{% if cookiecutter.cache == "redis" %}the item cache{% endif %}."""
    return [{% if cookiecutter.auth == "jwt" %}AuthExtension(), {% endif %}{% if cookiecutter.cache == "redis" %}CacheExtension(), {% endif %}jobs]
{%- else %}
    """`jobs`: all the items routes need."""
    return [jobs]
{%- endif %}


class InMemoryJobQueue(InMemoryBroker, JobQueue):
    """taskiq's in-memory broker: each job runs in this process as soon as it is enqueued."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.failures: list[tuple[TaskiqMessage, BaseException]] = []

    async def kick(self, message: BrokerMessage) -> None:
        if self.down:
            raise ConnectionError("the queue is down")
        await super().kick(message)

    async def ping(self) -> None:
        if self.down:
            raise ConnectionError("the queue is down")

{%- if cookiecutter.metrics %}

    async def depth(self) -> int:
        return 0
{%- endif %}

    async def record_failure(self, message: TaskiqMessage, error: BaseException) -> None:
        self.failures.append((message, error))

    async def settle(self) -> None:
        """Wait until no job runs, retries included."""
        while self._running_tasks:
            await self.wait_all()
            await asyncio.sleep(0)  # lets the finished tasks leave the set


class ScriptedUpstream:
    """A quotes upstream on 127.0.0.1 for worker processes. The n-th call gets the n-th status
    (200 once the list runs out) and the quote "Quote n". The first call takes `first_call_takes`
    seconds, and gets no answer if the upstream closes before."""

    def __init__(self, *statuses: int, first_call_takes: float = 0) -> None:
        self.statuses = list(statuses)
        self.first_call_takes = first_call_takes
        self.calls = 0
        self.arrived = threading.Semaphore(0)
        self.closing = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with upstream.lock:
                    upstream.calls += 1
                    number = upstream.calls
                    status = upstream.statuses.pop(0) if upstream.statuses else 200
                upstream.arrived.release()
                if number == 1 and upstream.closing.wait(upstream.first_call_takes):
                    return
                body = json.dumps({"text": f"Quote {number}", "author": "Aesop"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads the worker's output, not this one's."""

        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for_calls(self, count: int, timeout: float = 30) -> None:
        for _ in range(count):
            assert self.arrived.acquire(timeout=timeout), "the calls did not arrive"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def run_worker(env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """Start `python -m {{ cookiecutter.package_name }}.worker` as {% if cookiecutter.docker %}the image does{% else %}production would{% endif %}, wait until its probes say
    ready."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.worker"],
        cwd=workdir,
        env={**env, f"{PREFIX}JOBS_WORKER_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until(lambda: ready(worker), "the worker did not become ready")
        yield worker
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def ready(worker: Server) -> bool:
    assert worker.process.poll() is None, f"the worker exited early:\n{worker.stop()}"
    try:
        return httpx2.get(f"{worker.url}/health/ready", timeout=1).status_code == 200
    except httpx2.TransportError:
        return False


def wait_until(condition: Callable[[], bool], message: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


class HeldJobQueue(JobQueue):
    """Keeps what is enqueued and runs none of it: the queue of every app a test builds, unless
    the test brings its own (conftest.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[BrokerMessage] = []

    async def kick(self, message: BrokerMessage) -> None:
        self.sent.append(message)

    async def listen(self) -> AsyncGenerator[bytes]:
        raise RuntimeError("a held queue hands out nothing")
        yield b""  # pragma: no cover (makes this an async generator)

    async def ping(self) -> None:
        pass

{%- if cookiecutter.metrics %}

    async def depth(self) -> int:
        return len(self.sent)
{%- endif %}

    async def record_failure(self, message: TaskiqMessage, error: BaseException) -> None:
        raise AssertionError("a held queue runs no job")
