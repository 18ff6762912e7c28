"""The benchmark script: a smoke run prints its tables, and its report flags what went wrong.

The figures themselves are never asserted: they belong to `make bench`, not to a timed test.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from bench import run as bench
from tests.conftest import TEMPLATE, check, clean_env, require_postgres, run
from tests.test_e2e import free_port

THROUGHPUT_ROWS = [
    "| reference | hello |",
    "| generated | /health/live |",
    "| generated | item read |",
    "| generated | item list (20) |",
    f"| generated | {bench.QUOTES} |",
    *(
        f"| {server} | {endpoint} |"
        for server in (bench.HANDWRITTEN, bench.GENERATED_PG, bench.HANDWRITTEN_PG)
        for endpoint in (bench.READ, bench.LIST)
    ),
]
OBSERVABILITY_ROWS = [
    "| observability on | /health/live |",
    "| observability off | /health/live |",
]
RATIO_ROWS = [
    "| generated health / reference hello |",
    "| observability on / off (health) |",
    "| upstream achieved / ideal (1,000 req/s) |",
    *(
        f"| {endpoint}, {database}: generated / hand-written |"
        for endpoint in (bench.READ, bench.LIST)
        for database in ("SQLite", "PostgreSQL")
    ),
    "| idle memory: generated / hand-written |",
    "| importing the app (s) |",
    "| warm cookiecutter → green (s) |",
    "| generated suite, wall (s) |",
]
MEMORY_ROWS = [
    f"| {server} |"
    for server in ("generated", bench.HANDWRITTEN, bench.GENERATED_PG, bench.HANDWRITTEN_PG)
]


def sample(requests: int = 1000, non_2xx: int = 0, socket_errors: int = 0) -> bench.Sample:
    return bench.Sample(requests, 1.0, 1.0, 2.0, socket_errors, non_2xx, cpu_us=100.0)


def results(**rps: float) -> bench.Results:
    """Results with one sample per (server, endpoint) given as `server__endpoint=rps`."""
    collected = bench.Results()
    names = {"health": "/health/live", "hello": "hello", "quotes": bench.QUOTES}
    for key, value in rps.items():
        server, endpoint = key.split("__")
        target = bench.Target(server.replace("_", " "), names.get(endpoint, endpoint), "", 0)
        collected.add(target, sample(requests=int(value)))
    return collected


def timings(render: float, sync: float, suite: float) -> bench.Timings:
    """Timings whose CPU seconds equal their wall seconds."""
    steps = (bench.Step(seconds, seconds) for seconds in (render, sync, suite))
    return bench.Timings(*steps, suite_reported=suite / 2)


WARM = timings(render=2.0, sync=3.0, suite=2.0)


def verdict(table: list[str], name: str) -> str:
    (row,) = [line for line in table if line.startswith(f"| {name}")]
    return row.rsplit("|", 2)[1].strip()


@pytest.mark.slow
@pytest.mark.xdist_group("bench")
def test_smoke_run_prints_every_row() -> None:
    require_postgres()
    result = run(
        [sys.executable, "bench/run.py", "--smoke"], cwd=TEMPLATE, env=clean_env(), timeout=900
    )
    check(result)
    options = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    has_observability = any(key in options for key in bench.OBSERVABILITY_OPTIONS)
    for row in THROUGHPUT_ROWS + RATIO_ROWS + MEMORY_ROWS:
        assert row in result.stdout, f"{row!r} missing from:\n{result.stdout}"
    for row in OBSERVABILITY_ROWS:
        assert (row in result.stdout) == has_observability, result.stdout
    assert "cookiecutter → green" in result.stdout
    assert re.search(r"Runtime: \d+ packages from `uv sync --no-dev`", result.stdout)


def test_failed_requests_fail_the_run() -> None:
    for broken in (sample(non_2xx=3), sample(socket_errors=1)):
        collected = results(generated__health=1000)
        assert not bench.failed(collected)
        collected.add(bench.Target("generated", "item read", "", 0), broken)
        assert bench.failed(collected)
        assert bench.throughput_table(collected)[-1].endswith(f"| {broken.errors} |")


def test_a_missed_target_is_marked_and_an_absent_one_is_not_applicable() -> None:
    met = bench.ratio_table(
        results(reference__hello=1000, generated__health=950, generated__quotes=990), WARM
    )
    assert verdict(met, "generated health / reference hello") == "met"
    assert verdict(met, "upstream achieved") == "met"
    assert verdict(met, "observability on / off (health)") == "n/a"

    missed = bench.ratio_table(
        results(reference__hello=1000, generated__health=800, generated__quotes=500),
        timings(render=10.0, sync=5.0, suite=6.0),
    )
    for name in (
        "generated health / reference hello",
        "upstream achieved",
        "warm cookiecutter → green",
        "generated suite, wall",
    ):
        assert verdict(missed, name) == "**missed**", name


def test_wrk_report_is_read_from_its_marked_line() -> None:
    line = 'BENCH {"requests": 10, "seconds": 2.0, "p50_ms": 1, "p99_ms": 3, '
    line += '"socket_errors": 0, "non_2xx": 2}'
    parsed = bench.parse_wrk(f"Running 2s test\n{line}\n")
    assert (parsed.rps, parsed.errors) == (5.0, 2)
    with pytest.raises(SystemExit, match="wrk printed no report"):
        bench.parse_wrk("Running 2s test\n")


def test_upstream_stub_answers_after_its_delay() -> None:
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, str(TEMPLATE / "bench" / "upstream_stub.py"), "--port", str(port)],
        env=clean_env(),
        cwd=TEMPLATE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        start = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/today", timeout=5) as response:
            body = json.loads(response.read())
        assert time.monotonic() - start >= bench.UPSTREAM_DELAY
        assert set(body) == {"text", "author"}
    finally:
        stub.terminate()
        stub.wait(timeout=10)


def test_cpu_per_request_ratio_does_not_depend_on_throughput() -> None:
    collected = bench.Results()
    # The same throughput, but the generated service spends twice the CPU on each request.
    reference = dataclasses.replace(sample(), cpu_us=100.0)
    generated = dataclasses.replace(sample(), cpu_us=200.0)
    collected.add(bench.Target("reference", "hello", "", 0), reference)
    collected.add(bench.Target("generated", "/health/live", "", 0), generated)
    table = bench.ratio_table(collected, WARM)
    assert verdict(table, "generated health / reference hello") == "met"
    row = "| by CPU per request: generated health / reference hello | 0.50 |"
    assert any(line.startswith(row) for line in table), table
    assert verdict(table, "by CPU per request: generated health") == "**missed**"


def test_the_data_path_memory_and_import_are_judged_against_their_targets() -> None:
    collected = bench.Results(idle_rss={"generated": 80.0, bench.HANDWRITTEN: 75.0})
    for server, requests in (("generated", 1100), (bench.HANDWRITTEN, 1000)):
        collected.add(bench.Target(server, bench.READ, "", 0), sample(requests=requests))
    for server, requests in ((bench.GENERATED_PG, 900), (bench.HANDWRITTEN_PG, 1000)):
        collected.add(bench.Target(server, bench.LIST, "", 0), sample(requests=requests))
    collected.import_seconds = 1.2
    table = bench.ratio_table(collected, WARM)
    assert verdict(table, "item read, SQLite: generated / hand-written") == "met"
    assert verdict(table, "item list (20), PostgreSQL: generated / hand-written") == "**missed**"
    assert verdict(table, "item read, PostgreSQL: generated / hand-written") == "n/a"
    assert verdict(table, "idle memory: generated / hand-written") == "met"  # 1.07
    assert verdict(table, "importing the app (s)") == "met"

    collected.idle_rss["generated"] = 90.0
    collected.import_seconds = 1.5
    table = bench.ratio_table(collected, WARM)
    assert verdict(table, "idle memory: generated / hand-written") == "**missed**"
    assert verdict(table, "importing the app (s)") == "**missed**"
    assert verdict(bench.ratio_table(bench.Results(), WARM), "importing the app (s)") == "n/a"


def test_memory_is_shown_before_and_after_the_load() -> None:
    collected = bench.Results(idle_rss={"generated": 80.0}, loaded_rss={"generated": 84.5})
    assert bench.memory_table(collected)[-1] == "| generated | 80.0 | 84.5 |"
