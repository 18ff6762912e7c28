"""Each async pitfall, injected into a baked service, fails the service's own checks by name.

One bake (the defaults) is copied per mutation, the copy gets one pitfall, and only the checks
meant to catch it run: each must fail and its output must name the pitfall, so no unrelated
failure can pass for a catch. The unmodified bake passes the very same checks
(`test_bake.py::test_baked_project_passes_its_own_checks`), so each failure here is the
pitfall's doing. `missed_by` records the checks that stay green, which is why the next layer
exists (lint cannot see into sync helpers, nothing static sees a computation).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SharedEnv

PACKAGE = "src/orders_service"

# A check is one tool, run as the developer runs it: `ruff`, `mypy`, `pytest tests/<file>`.
TOOLS: dict[str, tuple[str, ...]] = {
    "ruff": ("-m", "ruff", "check", "--no-cache", "--output-format=concise", "."),
    "mypy": ("-m", "mypy"),
    "pytest": ("-m", "pytest", "-p", "no:cacheprovider", "-x", "-q"),
}


@dataclass(frozen=True)
class Mutation:
    """One pitfall: `edits` replace text in `path`, each `old` found exactly once.

    `caught_by` maps each check that must fail to a pattern its output must contain.
    """

    path: str
    edits: tuple[tuple[str, str], ...]
    caught_by: dict[str, str]
    missed_by: tuple[str, ...] = field(default=())

    def apply(self, project: Path) -> None:
        target = project / self.path
        text = target.read_text()
        for old, new in self.edits:
            assert text.count(old) == 1, f"{self.path} no longer contains {old!r} once"
            text = text.replace(old, new)
        target.write_text(text)


QUOTES_ROUTER = f"{PACKAGE}/quotes/router.py"
QUOTES_CLIENT = f"{PACKAGE}/quotes/client.py"
FETCH = "    return await fetch_quote_of_the_day(client, str(settings.quotes_url))\n"
FASTAPI_IMPORT = "from fastapi import APIRouter\n"
UPSTREAM_CALL = "        response = await client.get(f\"{base_url.rstrip('/')}/today\")\n"


def before_fetch(*lines: str) -> tuple[str, str]:
    """Insert statements at the top of the quotes endpoint, before its upstream call."""
    return FETCH, "".join(f"    {line}\n" for line in lines) + FETCH


def imports(*modules: str) -> tuple[str, str]:
    """Add standard-library imports to the quotes router, sorted as ruff wants them."""
    return FASTAPI_IMPORT, "".join(f"import {m}\n" for m in sorted(modules)) + "\n" + FASTAPI_IMPORT


def missed_by_lint(
    path: str, edits: tuple[tuple[str, str], ...], test: str, error: str
) -> Mutation:
    """A pitfall no linter sees: only the named test file's run catches it, by `error`."""
    return Mutation(path, edits, caught_by={f"pytest tests/{test}": error}, missed_by=("ruff",))


MUTATIONS: dict[str, Mutation] = {
    "time.sleep in an endpoint": Mutation(
        QUOTES_ROUTER,
        (imports("time"), before_fetch("time.sleep(0.01)")),
        caught_by={
            "ruff": r"quotes/router\.py:\d+:\d+: ASYNC251 ",
            "pytest tests/test_quotes.py": r"BlockingError: Blocking call to time\.sleep",
        },
    ),
    "requests-style sync HTTP call in the I/O layer": Mutation(
        QUOTES_CLIENT,
        (
            (
                UPSTREAM_CALL,
                "        response = httpx2.get(f\"{base_url.rstrip('/')}/today\")\n",
            ),
        ),
        # ruff's ASYNC210 knows httpx, not httpx2: the baked pyproject.toml bans the call.
        caught_by={"ruff": r"quotes/client\.py:\d+:\d+: TID251 `httpx2\.get` is banned"},
    ),
    "sync httpx2.Client call in the I/O layer": Mutation(
        QUOTES_CLIENT,
        (
            (
                UPSTREAM_CALL,
                "        with httpx2.Client() as sync_client:\n"
                "            response = sync_client.get(f\"{base_url.rstrip('/')}/today\")\n",
            ),
        ),
        # Likewise for ASYNC212: the ban on httpx2.Client catches it.
        caught_by={"ruff": r"quotes/client\.py:\d+:\d+: TID251 `httpx2\.Client` is banned"},
    ),
    "sync file read in an endpoint": Mutation(
        QUOTES_ROUTER,
        (before_fetch("with open(__file__) as source:", "    source.read()"),),
        caught_by={
            "ruff": r"quotes/router\.py:\d+:\d+: ASYNC230 ",
            "pytest tests/test_quotes.py": r"BlockingError: Blocking call to io\.\w+\.read",
        },
    ),
    "subprocess.run in an endpoint": Mutation(
        QUOTES_ROUTER,
        (
            imports("subprocess"),
            before_fetch('subprocess.run(["true"], check=True)  # noqa: S603, S607'),
        ),
        caught_by={
            "ruff": r"quotes/router\.py:\d+:\d+: ASYNC221 ",
            "pytest tests/test_quotes.py": r"BlockingError: Blocking call to os\.read",
        },
    ),
    "blocking call two sync helpers deep": missed_by_lint(
        QUOTES_ROUTER,
        (
            imports("time"),
            before_fetch("_back_off(1)"),
            (
                "\n\n@router.get(",
                "\n\ndef _back_off(attempt: int) -> None:\n"
                "    _pause(0.01 * attempt)\n\n\n"
                "def _pause(seconds: float) -> None:\n"
                "    time.sleep(seconds)\n\n\n@router.get(",
            ),
        ),
        test="test_quotes.py",
        error=r"BlockingError: Blocking call to time\.sleep",
    ),
    "sync sqlite3 query in the repository": missed_by_lint(
        f"{PACKAGE}/items/repository.py",
        (
            ("from typing import Any\n", "import sqlite3\nfrom typing import Any\n"),
            (
                "    found = _as_dicts(",
                '    sqlite3.connect(":memory:").execute("SELECT 1")\n    found = _as_dicts(',
            ),
        ),
        test="test_items.py",
        error=r"BlockingError: Blocking call to sqlite3\.\w+\.execute",
    ),
    "busy CPU loop in an endpoint": missed_by_lint(
        QUOTES_ROUTER,
        (
            imports("time"),
            # 0.4 s of CPU whatever the machine's speed or load: a few hundred milliseconds.
            before_fetch(
                "deadline = time.thread_time() + 0.4",
                "while time.thread_time() < deadline:",
                "    pass",
            ),
        ),
        test="test_quotes.py",
        error=r"EventLoopStallError: The event loop stalled",
    ),
    "database call without await": Mutation(
        f"{PACKAGE}/items/service.py",
        (("        await session.delete(item)\n", "        session.delete(item)\n"),),
        caught_by={
            "mypy": r"items/service\.py:\d+: error: .*Coroutine.*\[unused-coroutine\]",
            "pytest tests/test_items.py": (
                r"RuntimeWarning: coroutine 'AsyncSession\.delete' was never awaited"
            ),
        },
    ),
    "def endpoint": missed_by_lint(
        f"{PACKAGE}/health/router.py",
        (("async def live()", "def live()"),),
        test="test_async_rules.py",
        error=r"AssertionError: live must be `async def`",
    ),
    "def dependency": missed_by_lint(
        f"{PACKAGE}/resources.py",
        (("async def get_settings(", "def get_settings("),),
        test="test_async_rules.py",
        error=r"dependency get_settings must be `async def`",
    ),
    "sync function in the I/O layer": missed_by_lint(
        QUOTES_CLIENT,
        (
            (
                "\n\nasync def fetch_quote_of_the_day(",
                "\n\ndef read_cached_quote(path: str) -> Quote:\n"
                '    with open(path, "rb") as cached:\n'
                "        return Quote.model_validate_json(cached.read())\n"
                "\n\nasync def fetch_quote_of_the_day(",
            ),
        ),
        test="test_async_rules.py",
        error=r"public I/O functions must be `async def`: "
        r"\['orders_service\.quotes\.client\.read_cached_quote'\]",
    ),
    "task created and not kept": Mutation(
        QUOTES_ROUTER,
        (imports("asyncio"), before_fetch("asyncio.create_task(asyncio.sleep(0))")),
        caught_by={
            "ruff": r"quotes/router\.py:\d+:\d+: RUF006 ",
            "mypy": r"quotes/router\.py:\d+: error: .*Task\[None\].*\[unused-awaitable\]",
        },
    ),
}


@pytest.mark.xdist_group("mutations")
@pytest.mark.parametrize("name", MUTATIONS)
def test_the_pitfall_is_caught_by_name(
    bake: Callable[[str], Path],
    shared_env: SharedEnv,
    tmp_path: Path,
    name: str,
) -> None:
    mutation = MUTATIONS[name]
    project = tmp_path / "mutant"
    shutil.copytree(bake("defaults"), project)
    mutation.apply(project)

    def run(check: str) -> tuple[int, str]:
        tool, *paths = check.split()
        args = (*TOOLS[tool], *paths)
        if tool == "mypy":
            # The bakes' cache: only the mutated modules are checked again.
            args = (*args, "--cache-dir", str(shared_env.mypy_cache))
        result = shared_env.run(project, *args)
        return result.returncode, result.stdout + result.stderr

    for check, pattern in mutation.caught_by.items():
        returncode, output = run(check)
        assert returncode != 0, f"{check} missed {name!r}:\n{output}"
        assert re.search(pattern, output), f"{check} failed, but not on {name!r}:\n{output}"
    for check in mutation.missed_by:
        returncode, output = run(check)
        assert returncode == 0, f"{check} was expected not to see {name!r}:\n{output}"
