"""Measure the generated service beside bare and hand-written FastAPI apps, and time
`cookiecutter` to green.

Bakes the template with its defaults (and once more with PostgreSQL), installs it with uv, serves
it with uvicorn (uvloop, httptools, one worker, no access log) on 127.0.0.1 next to
`reference_app.py`, `handwritten_app.py` (FastAPI + SQLAlchemy written the obvious way, over the
same table) and an upstream stub that answers after 100 ms, drives each with wrk at 100
connections, interleaving the servers over several rounds so that machine drift hits all of them
alike, and prints the figures, the ratios that matter and their targets as Markdown, with the
app's import time and the servers' memory before and after the load.

    python bench/run.py            # the full run (`make bench`)
    python bench/run.py --smoke    # one short round, warm cache only (`make bench-smoke`)

The PostgreSQL rows need a server: `BENCH_POSTGRES_URL` (default the local one, user postgres)
names a database on it, beside which the run creates and drops its own. It exits non-zero when
a load run saw errors: figures measured on failures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH.parent
CONNECTIONS = 100
UPSTREAM_DELAY = 0.1  # seconds
IDEAL_UPSTREAM_RPS = CONNECTIONS / UPSTREAM_DELAY
SEED_ITEMS = 50
OBSERVABILITY_OPTIONS = ("metrics", "tracing")
QUOTES = "quotes (upstream 100 ms)"
LOGGED = "generated, access log on"
BARE_QUOTES = "bare httpx2 call (upstream 100 ms)"
VERSIONS_OF = ("fastapi", "starlette", "pydantic", "uvicorn", "httpx2", "sqlalchemy")
READ, LIST = "item read", "item list (20)"
GENERATED_PG, HANDWRITTEN, HANDWRITTEN_PG = (
    "generated, PostgreSQL",
    "hand-written",
    "hand-written, PostgreSQL",
)
POSTGRES_VARIABLE = "BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
IMPORT_RUNS = 3


@dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    seconds: int  # of each wrk run
    cold_cache: bool
    warm_up: bool


FULL = Mode("full", rounds=3, seconds=5, cold_cache=True, warm_up=True)
SMOKE = Mode("smoke", rounds=1, seconds=1, cold_cache=False, warm_up=False)


@dataclass(frozen=True)
class Sample:
    """One wrk run, as report.lua prints it."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int
    cpu_us: float = float("nan")  # the server's CPU time per request, whatever the load

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx


@dataclass(frozen=True)
class Target:
    """One load scenario: a server and one of its URLs."""

    server: str
    endpoint: str
    url: str
    pid: int  # of the server process, whose CPU time is measured


@dataclass(frozen=True)
class Step:
    """A command's wall-clock seconds, and the CPU seconds it and its children used: the
    second hardly changes with how busy the machine is."""

    wall: float
    cpu: float

    def __add__(self, other: Step) -> Step:
        return Step(self.wall + other.wall, self.cpu + other.cpu)


@dataclass(frozen=True)
class Timings:
    """Each step from `cookiecutter` to a green test run."""

    render: Step
    sync: Step
    suite: Step
    suite_reported: float  # the seconds pytest itself reports, after its start-up

    @property
    def total(self) -> Step:
        return self.render + self.sync + self.suite


@dataclass
class Bake:
    project: Path
    package: str
    timings: Timings | None = None

    @property
    def python(self) -> Path:
        return self.project / ".venv" / "bin" / "python"

    @property
    def env_prefix(self) -> str:
        return f"{self.package.upper()}_"


@dataclass
class Results:
    samples: dict[Target, list[Sample]] = field(default_factory=dict)
    # Resident memory in MiB of each server, by name: started and idle, then after every round.
    idle_rss: dict[str, float] = field(default_factory=dict)
    loaded_rss: dict[str, float] = field(default_factory=dict)
    import_seconds: float | None = None  # `import <package>.main` in the default bake

    def add(self, target: Target, sample: Sample) -> None:
        self.samples.setdefault(target, []).append(sample)

    def median(self, target: Target, attribute: str) -> float:
        return statistics.median(getattr(sample, attribute) for sample in self.samples[target])

    def value(self, server: str, endpoint: str, attribute: str = "rps") -> float | None:
        for target in self.samples:
            if (target.server, target.endpoint) == (server, endpoint):
                return self.median(target, attribute)
        return None


# Running commands ------------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The caller's environment without what would skew a new user's figures: an active
    virtual environment, and a ban on writing bytecode that makes every start compile anew."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "UV_PROJECT_ENVIRONMENT"}
    }
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"bench: `{' '.join(args)}` failed ({result.returncode}) in {cwd}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[Step, str]:
    start, start_cpu = time.perf_counter(), children_cpu()
    output = run(args, cwd, env)
    return Step(time.perf_counter() - start, children_cpu() - start_cpu), output


def ensure_wrk() -> str:
    """Find wrk, or install it from the distribution's packages (Debian and derivatives)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("bench: wrk is missing; install it (Debian: `sudo apt-get install wrk`)")
    env = child_env(DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        run(["apt-get", "update", "-qq"], Path.cwd(), env)  # a fresh machine has no lists yet
        run(install, Path.cwd(), env)
    return shutil.which("wrk") or "wrk"


# Baking, installing, testing ---------------------------------------------------------------


def template_options() -> set[str]:
    return set(json.loads((TEMPLATE / "cookiecutter.json").read_text()))


def render(output: Path, env: dict[str, str], **answers: str) -> tuple[Bake, Step]:
    """Bake the template into `output` with the defaults plus `answers`."""
    output.mkdir(parents=True)
    pairs = [f"{key}={value}" for key, value in answers.items()]
    args = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output)]
    step, _ = timed([*args, str(TEMPLATE), *pairs], output, env)
    (project,) = output.iterdir()
    (main,) = (project / "src").glob("*/main.py")
    return Bake(project, main.parent.name), step


def pytest_seconds(output: str) -> float:
    """The duration pytest reports on its last line, e.g. `51 passed in 1.23s`."""
    match = re.search(r" in ([\d.]+)s", output.strip().splitlines()[-1])
    return float(match.group(1)) if match else float("nan")


def bake_to_green(output: Path, env: dict[str, str]) -> Bake:
    """What a new user does: render, `uv sync`, `uv run pytest`; each step timed."""
    bake, render_step = render(output, env)
    sync, _ = timed(["uv", "sync", "--quiet"], bake.project, env)
    suite, report = timed(
        ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"], bake.project, env
    )
    bake.timings = Timings(render_step, sync, suite, pytest_seconds(report))
    return bake


def install(output: Path, env: dict[str, str], **answers: str) -> Bake:
    """A bake that only needs to serve: no git repository, no test run."""
    bake, _ = render(output, env, init_git="no", **answers)
    run(["uv", "sync", "--quiet"], bake.project, env)
    return bake


def runtime_packages(bake: Bake, env: dict[str, str]) -> int:
    """How many packages the image's `uv sync --no-dev` installs, the service itself left out."""
    with tempfile.TemporaryDirectory(prefix="runtime-") as venv:
        sync_env = {**env, "UV_PROJECT_ENVIRONMENT": venv}
        run(["uv", "sync", "--no-dev", "--frozen", "--quiet"], bake.project, sync_env)
        python = str(Path(venv) / "bin" / "python")
        listing = ["uv", "pip", "list", "--python", python, "--format", "json"]
        listed = run(listing, bake.project, env)
    return sum("editable_project_location" not in package for package in json.loads(listed))


def migrate(bake: Bake, env: dict[str, str]) -> None:
    run([str(bake.python), "-m", "alembic", "upgrade", "head"], bake.project, env)


def import_seconds(bake: Bake) -> float:
    """Wall seconds to import the app in a new interpreter, bytecode cached: the median of a few
    runs. `main` builds the app, as a server's start does."""
    code = f"import {bake.package}.main"
    walls = [
        timed([str(bake.python), "-c", code], bake.project, child_env())[0].wall
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(walls)


def sqlite_url(bake: Bake) -> str:
    """The database file of the service's default settings, by its absolute path."""
    return f"sqlite+aiosqlite:///{bake.project / bake.package}.db"


@contextlib.contextmanager
def postgres_database(bake: Bake) -> Iterator[str]:
    """A database of this run's own on the PostgreSQL server, dropped at the end; its URL."""
    server = os.environ.get(POSTGRES_VARIABLE, DEFAULT_POSTGRES)
    name = f"async_fastapi_bench_{secrets.token_hex(4)}"
    admin = [str(bake.python), str(BENCH / "postgres_admin.py")]
    result = subprocess.run(
        [*admin, "create", server, name], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"bench: the PostgreSQL rows need a server; {POSTGRES_VARIABLE}={server} did not "
            f"take a new database:\n{result.stderr.strip().splitlines()[-1:]}"
        )
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        run([*admin, "drop", server, name], BENCH, child_env(), timeout=60)


def versions(bake: Bake) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        f"print(json.dumps({{p: m.version(p) for p in {VERSIONS_OF!r}}}))"
    )
    return json.loads(run([str(bake.python), "-c", code], bake.project, child_env()))


# Serving -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def post_json(url: str, body: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created: dict[str, object] = json.loads(response.read())
        return created


def wait_until_up(
    url: str, process: subprocess.Popen[str], log: IO[str], deadline: float = 60
) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(
                f"bench: the server for {url} exited with {process.returncode}:\n{log.read()}"
            )
        with contextlib.suppress(OSError):
            get(url)
            return
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer within {deadline} s")


@contextlib.contextmanager
def started(args: list[str], cwd: Path, env: dict[str, str], probe: str) -> Iterator[int]:
    """Run a server until the block exits; `probe` is a URL that answers once it is up. Its
    output goes to a file: written to a terminal, a log line per request would slow it down."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            wait_until_up(probe, process, log)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def uvicorn(python: Path, app: str, *extra: str) -> list[str]:
    """The same server settings for every app under test (`serve` adds the port)."""
    return [
        str(python),
        "-m",
        "uvicorn",
        app,
        *extra,
        "--host",
        "127.0.0.1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@dataclass(frozen=True)
class Server:
    name: str
    base: str  # URL
    pid: int
    started_rss: float  # MiB, once it answered its first request

    def target(self, endpoint: str, path: str) -> Target:
        return Target(self.name, endpoint, f"{self.base}{path}", self.pid)


def serve(
    stack: contextlib.ExitStack,
    name: str,
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    probe: str,
) -> Server:
    """Start a server, adding `--port PORT` to its command, and wait until `probe` answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    pid = stack.enter_context(started([*args, "--port", str(port)], cwd, env, base + probe))
    return Server(name, base, pid, rss_mib(pid))


def serve_bake(
    stack: contextlib.ExitStack,
    name: str,
    bake: Bake,
    upstream: Server,
    *,
    access_log: bool,
    database_url: str | None = None,
) -> Server:
    """Serve a baked service, migrated, with its quotes upstream pointed at the stub. Its own
    access log is off like uvicorn's, unless `access_log`, so that every server does the same
    work per request. Without `database_url` it uses the database of its default settings."""
    settings = {"QUOTES_URL": upstream.base, "ACCESS_LOG": str(access_log).lower()}
    if database_url is not None:
        settings["DATABASE_URL"] = database_url
    env = child_env(**{bake.env_prefix + key: value for key, value in settings.items()})
    migrate(bake, env)
    args = uvicorn(bake.python, f"{bake.package}.main:app")
    return serve(stack, name, args, bake.project, env, "/health/live")


def seed_items(server: Server) -> int:
    """Create items to read and list; return the id of one of them."""
    url = f"{server.base}/api/v1/items"
    ids = [post_json(url, {"name": f"item {n}"})["id"] for n in range(SEED_ITEMS)]
    return int(str(ids[len(ids) // 2]))


def service_targets(server: Server, item: int, *, everything: bool) -> list[Target]:
    targets = [
        server.target("/health/live", "/health/live"),
        server.target(READ, f"/api/v1/items/{item}"),
    ]
    if everything:
        targets += [
            server.target(LIST, "/api/v1/items?limit=20"),
            server.target(QUOTES, "/api/v1/quotes/today"),
        ]
    return targets


def data_targets(server: Server, items: str, item: int) -> list[Target]:
    """An item read, and a page of 20 without a count, from the collection at `items`."""
    return [server.target(READ, f"{items}/{item}"), server.target(LIST, f"{items}?limit=20")]


def start_handwritten(
    stack: contextlib.ExitStack, name: str, bake: Bake, database_url: str
) -> Server:
    """Serve the hand-written app from a bake's environment, which has the database driver."""
    args = uvicorn(bake.python, "handwritten_app:app", "--app-dir", str(BENCH))
    env = child_env(BENCH_DATABASE_URL=database_url)
    return serve(stack, name, args, BENCH, env, "/items?limit=1")


# Loading ---------------------------------------------------------------------------------------


def parse_wrk(output: str) -> Sample:
    for line in output.splitlines():
        if line.startswith("BENCH "):
            return Sample(**json.loads(line.removeprefix("BENCH ")))
    raise SystemExit(f"bench: wrk printed no report:\n{output}")


def rss_mib(pid: int) -> float:
    """A process's resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(wrk: str, target: Target, seconds: int) -> Sample:
    """One bounded wrk run: one thread, so that the server keeps a core to itself."""
    args = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s"]
    args += ["-s", str(BENCH / "report.lua"), target.url]
    before = cpu_seconds(target.pid)
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30, check=True)
    sample = parse_wrk(result.stdout)
    used = cpu_seconds(target.pid) - before
    return dataclasses.replace(sample, cpu_us=used / max(sample.requests, 1) * 1e6)


def drive(wrk: str, targets: list[Target], mode: Mode) -> Results:
    """Run every target once per round, starting each round one target later, so that drift
    and the order of runs weigh on every server alike. Each measured run follows a 1 s warm-up
    of the same target: between two runs of one server the others run for a minute, long
    enough for its pooled upstream connections to expire (5 s) and its caches to go cold."""
    results = Results()
    for round_ in range(mode.rounds):
        shift = round_ % len(targets)
        for target in targets[shift:] + targets[:shift]:
            if mode.warm_up:
                load(wrk, target, 1)
            results.add(target, load(wrk, target, mode.seconds))
            print(f"  round {round_ + 1}: {target.server} {target.endpoint}", file=sys.stderr)
    return results


def failed(results: Results) -> bool:
    """Whether any request failed: figures measured on failures mean nothing."""
    return any(sample.errors for samples in results.samples.values() for sample in samples)


# Reporting ------------------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    return numerator / denominator


def check_row(name: str, value: float | None, target: str, met: bool | None, fmt: str) -> str:
    shown = "n/a" if value is None else format(value, fmt)
    verdict = "n/a" if met is None else ("met" if met else "**missed**")
    return f"| {name} | {shown} | {target} | {verdict} |"


def throughput_table(results: Results) -> list[str]:
    lines = [
        "| server | endpoint | req/s | p50 ms | p99 ms | server CPU µs/req | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target, samples in results.samples.items():
        errors = sum(sample.errors for sample in samples)
        lines.append(
            f"| {target.server} | {target.endpoint} | {results.median(target, 'rps'):,.0f} | "
            f"{results.median(target, 'p50_ms'):.1f} | {results.median(target, 'p99_ms'):.1f} | "
            f"{results.median(target, 'cpu_us'):,.0f} | {errors} |"
        )
    return lines


def ratio_table(results: Results, warm: Timings) -> list[str]:
    """Each ratio by throughput and, where two servers compare, by server CPU per request too:
    the second holds however busy the machine is, since a loaded machine skews throughput."""

    def by_rps(faster: tuple[str, str], slower: tuple[str, str]) -> float | None:
        return ratio(results.value(*faster), results.value(*slower))

    def by_cpu(faster: tuple[str, str], slower: tuple[str, str]) -> float | None:
        return ratio(results.value(*slower, "cpu_us"), results.value(*faster, "cpu_us"))

    health = (("generated", "/health/live"), ("reference", "hello"))
    logged_health = ((LOGGED, "/health/live"), ("reference", "hello"))
    obs_health = (("observability on", "/health/live"), ("observability off", "/health/live"))
    obs_read = (("observability on", "item read"), ("observability off", "item read"))
    upstream = ratio(results.value("generated", QUOTES), IDEAL_UPSTREAM_RPS)
    bare_upstream = ratio(results.value("reference", BARE_QUOTES), IDEAL_UPSTREAM_RPS)
    ideal = f"{IDEAL_UPSTREAM_RPS:,.0f} req/s"
    rows: list[tuple[str, float | None, float | None]] = [
        ("generated health / reference hello", by_rps(*health), 0.90),
        ("by CPU per request: generated health / reference hello", by_cpu(*health), 0.90),
        ("the same, by CPU, with the service's access log on", by_cpu(*logged_health), None),
        ("observability on / off (health)", by_rps(*obs_health), 0.85),
        ("by CPU per request: observability on / off (health)", by_cpu(*obs_health), 0.85),
        ("observability on / off (item read)", by_rps(*obs_read), None),
        (f"upstream achieved / ideal ({ideal})", upstream, 0.95),
        (f"the same for a bare httpx2 call in the reference app ({ideal})", bare_upstream, None),
    ]
    for endpoint in (READ, LIST):
        for database, generated, handwritten in (
            ("SQLite", "generated", HANDWRITTEN),
            ("PostgreSQL", GENERATED_PG, HANDWRITTEN_PG),
        ):
            pair = ((generated, endpoint), (handwritten, endpoint))
            name = f"{endpoint}, {database}: generated / hand-written"
            rows.append((name, by_rps(*pair), 1.0))
            rows.append((f"by CPU per request: {name}", by_cpu(*pair), 1.0))
    lines = ["| ratio | value | target | verdict |", "| --- | ---: | --- | --- |"]
    for name, value, floor in rows:
        met = None if value is None or floor is None else value >= floor
        target = "—" if floor is None else f"≥ {floor:.2f}"
        lines.append(check_row(name, value, target, met, ".2f"))
    memory = ratio(results.idle_rss.get("generated"), results.idle_rss.get(HANDWRITTEN))
    lines.append(ceiling_row("idle memory: generated / hand-written", memory, 1.1, ".2f"))
    lines.append(ceiling_row("importing the app (s)", results.import_seconds, 1.3, ".2f"))
    lines.append(ceiling_row("warm cookiecutter → green (s)", warm.total.wall, 15, ".1f"))
    lines.append(ceiling_row("generated suite, wall (s)", warm.suite.wall, 5, ".1f"))
    return lines


def ceiling_row(name: str, value: float | None, ceiling: float, fmt: str) -> str:
    """A row whose target is an upper bound."""
    met = None if value is None else value <= ceiling
    return check_row(name, value, f"≤ {ceiling:g}", met, fmt)


def memory_table(results: Results) -> list[str]:
    lines = [
        "| server | RSS started, idle (MiB) | RSS after the load (MiB) |",
        "| --- | ---: | ---: |",
    ]
    for name, idle in results.idle_rss.items():
        lines.append(f"| {name} | {idle:.1f} | {results.loaded_rss.get(name, float('nan')):.1f} |")
    return lines


def timing_table(cold: Timings | None, warm: Timings) -> list[str]:
    def cells(timings: Timings | None, attribute: str) -> str:
        if timings is None:
            return "skipped | skipped"
        value: Step | float = getattr(timings, attribute)
        if isinstance(value, Step):
            return f"{value.wall:.1f} | {value.cpu:.1f}"
        return f"{value:.1f} | "

    steps = [
        ("render (cookiecutter, with `uv lock` and `git init`)", "render"),
        ("`uv sync`", "sync"),
        ("`uv run pytest`", "suite"),
        ("of which pytest reports (wall)", "suite_reported"),
        ("**cookiecutter → green**", "total"),
    ]
    lines = [
        "| step (seconds) | cold cache: wall | CPU | warm cache: wall | CPU |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {label} | {cells(cold, key)} | {cells(warm, key)} |" for label, key in steps]
    return lines


def machine(bake: Bake) -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    stack = ", ".join(f"{name} {version}" for name, version in versions(bake).items())
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {stack}",
        "- Load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{load:.1f}" for load in os.getloadavg())
        + " (other work on the machine skews throughput and wall time, not CPU per request)",
    ]


def report(
    mode: Mode, results: Results, cold: Timings | None, warm: Timings, bake: Bake, packages: int
) -> str:
    command = "make bench" if mode is FULL else "make bench-smoke"
    lines = [
        f"## Benchmark ({mode.name})",
        "",
        f"- Command: `{command}` (`python bench/run.py{' --smoke' if mode is SMOKE else ''}`)",
        *machine(bake),
        f"- Runtime: {packages} packages from `uv sync --no-dev`, the service left out",
        f"- Load: wrk, 1 thread, {CONNECTIONS} connections, {mode.rounds} interleaved round(s) "
        f"of {mode.seconds} s per row; medians. Servers: uvicorn, uvloop, httptools, 1 worker, "
        "no access log, 127.0.0.1.",
        "",
        *throughput_table(results),
        "",
        *ratio_table(results, warm),
        "",
        *memory_table(results),
        "",
        *timing_table(cold, warm),
        "",
    ]
    return "\n".join(lines)


# The run ------------------------------------------------------------------------------------------


def time_bakes(workdir: Path, mode: Mode) -> tuple[Timings | None, Bake]:
    """Bake to green from an empty uv cache (full mode), then again with the cache warm."""
    if not mode.cold_cache:
        return None, bake_to_green(workdir / "warm", child_env())
    env = child_env(UV_CACHE_DIR=str(workdir / "uv-cache"))
    cold = bake_to_green(workdir / "cold", env)
    return cold.timings, bake_to_green(workdir / "warm", env)


def observability_bakes(workdir: Path) -> tuple[Bake, Bake] | None:
    """Two bakes that differ only in metrics and tracing, when the template offers them."""
    keys = [key for key in OBSERVABILITY_OPTIONS if key in template_options()]
    if not keys:
        return None
    env = child_env()
    on = install(workdir / "obs-on", env, **dict.fromkeys(keys, "yes"))
    off = install(workdir / "obs-off", env, **dict.fromkeys(keys, "no"))
    return on, off


def start_reference(stack: contextlib.ExitStack, bake: Bake, stub: Server) -> Server:
    """Serve the reference app from the baked environment: the service's dependencies are
    all it needs."""
    args = uvicorn(bake.python, "reference_app:app", "--app-dir", str(BENCH))
    env = child_env(BENCH_UPSTREAM_URL=stub.base)
    return serve(stack, "reference", args, BENCH, env, "/hello")


def start_servers(
    stack: contextlib.ExitStack,
    bake: Bake,
    postgres: tuple[Bake, str],
    observability: tuple[Bake, Bake] | None,
    everything: bool,
) -> tuple[list[Target], list[Server]]:
    """Start every server the run compares; return what to load, in the order to load it, and
    the servers whose memory the report shows. `postgres` is a PostgreSQL bake and the URL of
    a database for it."""
    stub_args = [str(bake.python), str(BENCH / "upstream_stub.py")]
    stub_args += ["--delay", str(UPSTREAM_DELAY)]
    stub = serve(stack, "upstream stub", stub_args, BENCH, child_env(), "/today")
    reference = start_reference(stack, bake, stub)
    targets = [reference.target("hello", "/hello")]
    database_url = sqlite_url(bake)
    generated = serve_bake(
        stack, "generated", bake, stub, access_log=False, database_url=database_url
    )
    # Started before the service sees its first request, as the service was: both idle.
    handwritten = start_handwritten(stack, HANDWRITTEN, bake, database_url)
    item = seed_items(generated)
    targets += service_targets(generated, item, everything=True)
    targets += data_targets(handwritten, "/items", item)
    pg_bake, pg_url = postgres
    generated_pg = serve_bake(
        stack, GENERATED_PG, pg_bake, stub, access_log=False, database_url=pg_url
    )
    handwritten_pg = start_handwritten(stack, HANDWRITTEN_PG, pg_bake, pg_url)
    pg_item = seed_items(generated_pg)
    targets += data_targets(generated_pg, "/api/v1/items", pg_item)
    targets += data_targets(handwritten_pg, "/items", pg_item)
    servers = [reference, generated, handwritten, generated_pg, handwritten_pg]
    logged = serve_bake(stack, LOGGED, bake, stub, access_log=True)
    targets.append(logged.target("/health/live", "/health/live"))
    if everything:
        targets.append(reference.target(BARE_QUOTES, "/upstream"))
        targets.append(stub.target("direct (100 ms)", "/today"))
    if observability:
        on, off = observability
        for name, obs_bake in (("observability on", on), ("observability off", off)):
            server = serve_bake(stack, name, obs_bake, stub, access_log=False)
            targets += service_targets(server, seed_items(server), everything=False)
    return targets, servers


def benchmark(mode: Mode, workdir: Path) -> tuple[str, bool]:
    """Run everything; return the report and whether every request succeeded."""
    wrk = ensure_wrk()
    print("bench: baking, installing and testing the defaults…", file=sys.stderr)
    cold, bake = time_bakes(workdir, mode)
    assert bake.timings is not None
    seconds_to_import = import_seconds(bake)
    packages = runtime_packages(bake, child_env())
    pg_bake = install(workdir / "postgresql", child_env(), database="postgresql")
    observability = observability_bakes(workdir)
    with contextlib.ExitStack() as stack:
        pg_url = stack.enter_context(postgres_database(pg_bake))
        targets, servers = start_servers(
            stack, bake, (pg_bake, pg_url), observability, everything=mode is FULL
        )
        print(f"bench: {len(targets)} runs in each of {mode.rounds} round(s)…", file=sys.stderr)
        results = drive(wrk, targets, mode)
        results.import_seconds = seconds_to_import
        for server in servers:
            results.idle_rss[server.name] = server.started_rss
            results.loaded_rss[server.name] = rss_mib(server.pid)
    return report(mode, results, cold, bake.timings, bake, packages), not failed(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one short round, warm cache only")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    arguments = parser.parse_args()
    mode = SMOKE if arguments.smoke else FULL
    with tempfile.TemporaryDirectory(prefix="async-fastapi-bench-") as workdir:
        text, succeeded = benchmark(mode, Path(workdir))
    print(text)
    if arguments.output:
        arguments.output.write_text(text)
    if not succeeded:
        raise SystemExit("bench: some requests failed (see the errors column)")


if __name__ == "__main__":
    main()
