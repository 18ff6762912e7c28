"""The service under a real uvicorn process on 127.0.0.1, for the tests marked `server`.

These tests are synchronous: they drive another process and wait on it, so there is no event
loop of their own for a blocking call to stall.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import httpx2

PREFIX = "{{ cookiecutter.__env_prefix }}"
QUOTE = {"text": "Slow and steady.", "author": "Aesop"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SlowUpstream:
    """A quotes upstream on 127.0.0.1 that answers each GET after the next of `delays`
    (in seconds, in the order the requests arrive)."""

    def __init__(self, *delays: float) -> None:
        self.delays = list(delays)
        self.started = threading.Semaphore(0)
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                delay = upstream.delays.pop(0)
                upstream.started.release()
                time.sleep(delay)
                body = json.dumps(QUOTE).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads the service's output, not this one's."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for_requests(self, count: int, timeout: float = 10) -> None:
        """Return once `count` requests have arrived (and are being held)."""
        for _ in range(count):
            assert self.started.acquire(timeout=timeout), "the requests did not arrive"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def stop(self, timeout: float = 30) -> str:
        """SIGTERM, as an orchestrator sends it; wait for the exit and return the output."""
        self.process.terminate()
        output, _ = self.process.communicate(timeout=timeout)
        return output


def service_env(**settings: str) -> dict[str, str]:
    """The environment of a service process: ours without the service's settings and uvicorn's
    (a developer's own log format or level must not change what the tests read), plus `settings`
    by their variable names."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith((PREFIX, "UVICORN_"))
    }
    env.update({f"{PREFIX}{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serve(env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """Start uvicorn as {% if cookiecutter.docker %}the image does{% else %}production would{% endif %} (`uvicorn <package>.main:app`), wait until it answers.

    `workdir` keeps a developer's .env out of the service's settings.
    """
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "{{ cookiecutter.package_name }}.main:app"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server exited early:\n{server.stop()}"
            try:
                if httpx2.get(f"{server.url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
