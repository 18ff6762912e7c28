"""Each option keeps the files it needs and removes, whole, the files it does not."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.licenses import canonicalize_license_expression

from tests.combinations import COMBINATIONS
from tests.conftest import TEMPLATE
from tests.test_bake import ALL, text_files

COMMON = [
    ".env.example",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/{package}/app.py",
    "src/{package}/main.py",
    "src/{package}/settings.py",
    "src/{package}/errors/__init__.py",
    "src/{package}/errors/unhandled.py",
    "src/{package}/extension.py",
    "src/{package}/features.py",
    "src/{package}/infra/http.py",
    "src/{package}/infra/retry.py",
    "src/{package}/middleware/body_limit.py",
    "src/{package}/middleware/security_headers.py",
    "src/{package}/middleware/stack.py",
    "src/{package}/middleware/trusted_hosts.py",
    "src/{package}/middleware/request_id.py",
    "src/{package}/loop_lag.py",
    "src/{package}/request_id.py",
    "src/{package}/health/router.py",
    "src/{package}/quotes/client.py",
    "tests/conftest.py",
    "tests/asgi.py",
    "tests/loop_stalls.py",
    "tests/test_async_rules.py",
    "tests/test_extension.py",
    "tests/test_loop_lag.py",
    "tests/test_request_id.py",
    "tests/test_network.py",
    "tests/test_main.py",
    "src/{package}/observability/__init__.py",
    "src/{package}/observability/access_log.py",
    "src/{package}/middleware/request_observer.py",
    "src/{package}/observability/logging_config.py",
    "src/{package}/observability/routes.py",
    "tests/log_capture.py",
    "tests/test_logging.py",
    "tests/test_routes.py",
    "tests/test_server_logs.py",
    "scripts/bench_middleware.py",
    "tests/server.py",
    "tests/test_api_schema.py",
    "tests/test_body_limit.py",
    "tests/test_retry.py",
    "tests/test_security.py",
    "tests/test_server.py",
    "tests/test_unhandled_errors.py",
    "scripts/load_check.py",
    "scripts/update_template.py",
    ".async-fastapi.json",
    ".pre-commit-config.yaml",
    "Makefile",
]
DATABASE = [
    "src/{package}/errors/database.py",
    "src/{package}/infra/database.py",
    "src/{package}/items/repository.py",
    "src/{package}/pagination.py",
    "src/{package}/migrations/env.py",
    "src/{package}/migrations/versions/0001_create_items.py",
    "tests/database.py",
    "tests/test_items.py",
    "tests/test_migrations.py",
    "tests/test_readiness_database.py",
    "tests/test_database.py",
    "tests/test_database_errors.py",
    "tests/test_secrets.py",
]
# compose.yaml comes with PostgreSQL, Redis or a broker; OPTION_FILES checks it.
POSTGRESQL = [
    "tests/test_database_outage.py",
    "tests/test_database_reconnect.py",
    "tests/test_postgresql.py",
]
# Per-database versions of a file; the hook keeps the chosen one under the plain name.
VARIANTS = [
    "tests/database_sqlite.py",
    "tests/database_postgresql.py",
]


def paths(project: Path, package: str, names: list[str]) -> list[Path]:
    return [project / name.format(package=package) for name in names]


@pytest.mark.xdist_group("defaults")
def test_defaults_tree(bake: Callable[[str], Path]) -> None:
    project = bake("defaults")
    assert project.name == "orders-service"
    missing = [p for p in paths(project, "orders_service", COMMON + DATABASE) if not p.exists()]
    assert not missing
    left = [p for p in paths(project, "orders_service", POSTGRESQL + VARIANTS) if p.exists()]
    assert not left
    assert "aiosqlite" in (project / "pyproject.toml").read_text()
    assert "sqlite+aiosqlite://" in (project / "tests" / "database.py").read_text()


@pytest.mark.xdist_group("no-database")
def test_no_database_tree(bake: Callable[[str], Path]) -> None:
    project = bake("no-database")
    assert project.name == "stateless-gateway"
    package = "stateless_gateway"
    assert all(p.exists() for p in paths(project, package, COMMON))
    left = [p for p in paths(project, package, DATABASE + POSTGRESQL + VARIANTS) if p.exists()]
    assert not left
    pyproject = (project / "pyproject.toml").read_text()
    for dependency in ("sqlalchemy", "alembic", "aiosqlite", "asyncpg"):
        assert dependency not in pyproject


@pytest.mark.xdist_group("postgresql")
def test_postgresql_tree(bake: Callable[[str], Path]) -> None:
    project = bake("postgresql")
    package = "ledger_service"
    wanted = COMMON + DATABASE + POSTGRESQL
    missing = [p for p in paths(project, package, wanted) if not p.exists()]
    assert not missing
    left = [p for p in paths(project, package, VARIANTS) if p.exists()]
    assert not left
    pyproject = (project / "pyproject.toml").read_text()
    assert "asyncpg" in pyproject
    assert "aiosqlite" not in pyproject
    assert "TEST_POSTGRES_URL" in (project / "tests" / "database.py").read_text()


# The files each option adds; the post-generation hook removes them, whole, when it is off.
OPTION_FILES: dict[str, list[str]] = {
    "ci=github": [".github/workflows/ci.yml", ".github/dependabot.yml"],
    "ci=gitlab": [".gitlab-ci.yml", "renovate.json"],
    "docker": ["Dockerfile", ".dockerignore"],
    "kubernetes": [
        "deploy/k8s/kustomization.yaml",
        "deploy/k8s/deployment.yaml",
        "deploy/k8s/service.yaml",
        "deploy/k8s/hpa.yaml",
        "deploy/k8s/pdb.yaml",
        "deploy/k8s/configmap.yaml",
    ],
    "kubernetes with a secret": ["deploy/k8s/secret.yaml"],
    "metrics": [
        "src/{package}/observability/metrics.py",
        "src/{package}/observability/request_metrics.py",
        "src/{package}/observability/http_metrics.py",
        "src/{package}/observability/metrics_extension.py",
        "tests/scrape.py",
        "tests/test_metrics.py",
        "tests/test_multiprocess_metrics.py",
    ],
    "metrics with a database": [
        "src/{package}/observability/pool_metrics.py",
        "tests/test_pool_metrics.py",
    ],
    "tracing": ["src/{package}/observability/tracing.py", "tests/test_tracing.py"],
    "tracing with a database": ["src/{package}/observability/database_tracing.py"],
    "jobs=taskiq": [
        "src/{package}/jobs/__init__.py",
        "src/{package}/jobs/broker.py",
        "src/{package}/jobs/delivery.py",
        "src/{package}/jobs/extension.py",
        "src/{package}/jobs/queue.py",
        "src/{package}/jobs/repository.py",
        "src/{package}/jobs/tasks.py",
        "src/{package}/worker.py",
        "src/{package}/scheduler.py",
        "src/{package}/migrations/versions/0003_item_quotes.py",
        "tests/jobs.py",
        "tests/test_jobs.py",
        "tests/test_worker.py",
    ],
    "jobs=taskiq with metrics": ["src/{package}/jobs/metrics.py"],
    "jobs=taskiq on kubernetes": ["deploy/k8s/worker.yaml", "deploy/k8s/scheduler.yaml"],
    "metrics and tracing": ["tests/test_counted_once.py"],
    "auth=jwt": [
        "src/{package}/auth/__init__.py",
        "src/{package}/auth/caller.py",
        "src/{package}/auth/dependencies.py",
        "src/{package}/auth/extension.py",
        "src/{package}/auth/keys.py",
        "src/{package}/auth/router.py",
        "src/{package}/auth/tokens.py",
        "scripts/dev_token.py",
        "tests/identity.py",
        "tests/test_auth.py",
        "tests/test_auth_server.py",
    ],
    "license other than proprietary": ["LICENSE"],
    "init_git": [".git", "uv.lock"],
    "broker": [
        "src/{package}/events/__init__.py",
        "src/{package}/events/broker.py",
        "src/{package}/events/extension.py",
        "tests/broker.py",
        "tests/eventually.py",
        "tests/test_events.py",
        "tests/test_broker_rules.py",
    ],
    "broker with a database": [
        "src/{package}/events/consumer.py",
        "src/{package}/events/contract.py",
        "src/{package}/events/observer.py",
        "src/{package}/events/outbox.py",
        "src/{package}/events/relay.py",
        "src/{package}/migrations/versions/0002_create_outbox.py",
        "tests/test_outbox.py",
        "tests/test_consumer.py",
        "tests/test_broker_outage.py",
    ],
    "cache=redis": [
        "src/{package}/cache/__init__.py",
        "src/{package}/cache/client_identity.py",
        "src/{package}/cache/events.py",
        "src/{package}/cache/extension.py",
        "src/{package}/cache/guard.py",
        "src/{package}/cache/rate_limit.py",
        "src/{package}/infra/redis.py",
        "tests/test_cache_server.py",
        "tests/test_rate_limit.py",
        "tests/test_redis_guard.py",
        "tests/test_redis_outage.py",
        "tests/test_redis_rules.py",
    ],
    "cache=redis with a database": [
        "src/{package}/cache/aside.py",
        "src/{package}/items/cache.py",
        "tests/test_item_cache.py",
    ],
    "cache=redis with metrics": [
        "src/{package}/observability/cache_metrics.py",
        "tests/test_cache_metrics.py",
    ],
    "broker with a database and metrics": [
        "src/{package}/observability/broker_metrics.py",
        "tests/test_broker_metrics.py",
    ],
    "Redis (cache or jobs)": ["tests/redis_server.py"],
    "a server to run locally (PostgreSQL, Redis or a broker)": ["compose.yaml"],
    "an outage test (PostgreSQL, the cache's Redis, or the broker's outbox)": [
        "tests/tcp_proxy.py"
    ],
}
LICENSE_TITLES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
}


def answers(name: str) -> dict[str, Any]:
    """The answers a combination is baked with: its own, and the defaults for the rest."""
    defaults = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    first = {key: value[0] if isinstance(value, list) else value for key, value in defaults.items()}
    return {**first, **COMBINATIONS[name]}


def chosen_options(answer: dict[str, Any]) -> set[str]:
    chosen = {
        "ci=github": answer["ci"] == "github",
        "ci=gitlab": answer["ci"] == "gitlab",
        "docker": answer["docker"],
        "kubernetes": answer["kubernetes"],
        "kubernetes with a secret": answer["kubernetes"]
        and (
            answer["database"] != "none" or answer["cache"] == "redis" or answer["broker"] != "none"
        ),
        "metrics": answer["metrics"],
        "metrics with a database": answer["metrics"] and answer["database"] != "none",
        "tracing": answer["tracing"],
        "tracing with a database": answer["tracing"] and answer["database"] != "none",
        "jobs=taskiq": answer["jobs"] == "taskiq",
        "jobs=taskiq with metrics": answer["jobs"] == "taskiq" and answer["metrics"],
        "jobs=taskiq on kubernetes": answer["jobs"] == "taskiq" and answer["kubernetes"],
        "metrics and tracing": answer["metrics"] and answer["tracing"],
        "auth=jwt": answer["auth"] == "jwt",
        "license other than proprietary": answer["license"] != "proprietary",
        "init_git": answer["init_git"],
        "cache=redis": answer["cache"] == "redis",
        "cache=redis with a database": answer["cache"] == "redis" and answer["database"] != "none",
        "cache=redis with metrics": answer["cache"] == "redis" and answer["metrics"],
        "broker": answer["broker"] != "none",
        "broker with a database": answer["broker"] != "none" and answer["database"] != "none",
        "broker with a database and metrics": answer["broker"] != "none"
        and answer["database"] != "none"
        and answer["metrics"],
        "Redis (cache or jobs)": answer["cache"] == "redis" or answer["jobs"] == "taskiq",
        "a server to run locally (PostgreSQL, Redis or a broker)": answer["database"]
        == "postgresql"
        or answer["cache"] == "redis"
        or answer["jobs"] == "taskiq"
        or answer["broker"] != "none",
        "an outage test (PostgreSQL, the cache's Redis, or the broker's outbox)": answer["database"]
        == "postgresql"
        or answer["cache"] == "redis"
        or (answer["broker"] != "none" and answer["database"] != "none"),
    }
    return {option for option, on in chosen.items() if on}


@pytest.mark.parametrize("name", ALL)
def test_each_option_brings_its_files_only_when_chosen(
    bake: Callable[[str], Path], name: str
) -> None:
    project = bake(name)
    chosen = chosen_options(answers(name))
    wrong = [
        f"{path}: {'missing' if option in chosen else 'left over'}"
        for option, files in OPTION_FILES.items()
        for path in files
        if (project / path.format(package=project.name.replace("-", "_"))).exists()
        != (option in chosen)
    ]
    assert not wrong
    # A directory an option owns goes with its last file.
    for directory, option in ((".github", "ci=github"), ("deploy", "kubernetes")):
        assert (project / directory).exists() == (option in chosen)


@pytest.mark.parametrize("name", ALL)
def test_makefile_offers_the_tasks_the_project_has(bake: Callable[[str], Path], name: str) -> None:
    makefile = (bake(name) / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z]+):", makefile, re.MULTILINE))
    everyday = {"help", "install", "run", "dev", "test", "lint", "format", "typecheck"}
    assert everyday | {"audit", "ci"} <= targets
    assert ("migrate" in targets) == (answers(name)["database"] != "none")
    assert ("image" in targets) == answers(name)["docker"]
    assert ("worker" in targets) == (answers(name)["jobs"] == "taskiq")
    assert "uv run pytest --cov" in makefile


@pytest.mark.parametrize("name", ALL)
def test_license_file_and_metadata_match_the_answer(bake: Callable[[str], Path], name: str) -> None:
    project = bake(name)
    answer = answers(name)
    project_table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    # Build backends refuse a license that is not an SPDX expression; the suite never builds.
    assert canonicalize_license_expression(project_table["license"]) == project_table["license"]
    if answer["license"] == "proprietary":
        assert project_table["license"] == "LicenseRef-Proprietary"
        assert "Private :: Do Not Upload" in project_table["classifiers"]
        return
    assert project_table["license"] == answer["license"]
    text = (project / "LICENSE").read_text()
    assert text.lstrip().startswith(LICENSE_TITLES[answer["license"]])
    if answer["license"] != "Apache-2.0":  # Apache's notice names the owner in each file instead
        assert answer["author_name"] in text


@dataclass(frozen=True)
class Phrases:
    """Words that only a bake with `option` may contain: where `off(answers)` holds, none of
    `pattern` may appear. `prose_only`: the words are ordinary code words too (`items()`), so
    only the README, the docs and the docstrings and comments of the code are read."""

    option: str
    off: Callable[[dict[str, Any]], bool]
    pattern: re.Pattern[str]
    prose_only: bool = False


# What text may say about each option. A new option adds its entry; words it shares with another
# option's text belong in a predicate that says when both are off.
OPTION_PHRASES = [
    Phrases("metrics", lambda a: not a["metrics"], re.compile(r"prometheus|metrics", re.I)),
    Phrases(
        "tracing",
        lambda a: not a["tracing"],
        re.compile(r"opentelemetry|\botel_|tracing|trace_id|\bspans?\b", re.I),
    ),
    Phrases(
        "database",
        lambda a: a["database"] == "none",
        re.compile(
            r"\b(the|its|a) database\b|database (pool|session)|\bsqlalchemy|\balembic|\bmigrat"
            r"|\bitems?\b|\bpages? (of|hold)\b|a page at a time",
            re.I,
        ),
        prose_only=True,
    ),
    Phrases(
        "docker",
        lambda a: not a["docker"],
        re.compile(r"\bcontainer image|\bthe image\b|in the image|dockerfile|make image", re.I),
        prose_only=True,
    ),
    Phrases(
        "auth",
        lambda a: a.get("auth", "none") == "none",
        re.compile(r"joserfc|jwks|bearer|\bauth_(issuer|audience|jwks|algorithms|leeway)", re.I),
    ),
    Phrases(
        "cache",
        lambda a: a.get("cache", "none") == "none",
        re.compile(r"rate.limit|ratelimit|\b429\b", re.I),
    ),
    Phrases(
        "Redis (cache or jobs)",
        lambda a: a.get("cache", "none") == "none" and a.get("jobs", "none") == "none",
        re.compile(r"\bredis\b", re.I),
    ),
    Phrases(
        "jobs",
        lambda a: a.get("jobs", "none") == "none",
        re.compile(r"taskiq|enrich|\bjobs_|\.worker\b|scheduler|background job", re.I),
    ),
    Phrases(
        "broker",
        lambda a: a.get("broker", "none") == "none",
        re.compile(r"faststream|\bbroker_|\boutbox|asyncapi|dead.letter|\bEventBroker\b", re.I),
        prose_only=False,
    ),
    Phrases(
        "broker=rabbitmq",
        lambda a: a.get("broker", "none") != "rabbitmq",
        re.compile(r"rabbitmq|\bamqp|aio.pika|\bexchange\b", re.I),
    ),
    Phrases(
        "broker=nats",
        lambda a: a.get("broker", "none") != "nats",
        re.compile(r"\bnats\b|jetstream|\bBROKER_STREAM\b", re.I),
    ),
]


def prose(path: Path, text: str) -> str:
    """What a file says to its reader: all of a Markdown file; the docstrings and comments of
    Python; the comments of anything else."""
    if path.suffix == ".md":
        return text
    if path.suffix != ".py":
        return "\n".join(re.findall(r"#(.*)", text))
    tree = ast.parse(text)
    docstrings = [
        ast.get_docstring(node) or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    comments = [token.string for token in tokens if token.type == tokenize.COMMENT]
    return "\n".join(docstrings + comments)


def traces_of_options_that_are_off(project: Path, answer: dict[str, Any]) -> list[str]:
    off = [phrases for phrases in OPTION_PHRASES if phrases.off(answer)]
    traces = []
    for path in text_files(project):
        if path.name == "uv.lock":
            continue
        # errors="replace": a test run may leave binary files (.coverage) behind.
        text = path.read_text(errors="replace")
        for phrases in off:
            searched = prose(path, text) if phrases.prose_only else text
            if match := phrases.pattern.search(searched):
                where = path.relative_to(project)
                traces.append(f"{where}: {match.group()!r} ({phrases.option} is off)")
    return traces


@pytest.mark.parametrize("name", ALL)
def test_an_option_that_is_off_leaves_no_trace(bake: Callable[[str], Path], name: str) -> None:
    assert traces_of_options_that_are_off(bake(name), answers(name)) == []


def test_text_about_an_option_that_is_off_is_caught(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("On shutdown the lifespan closes the database pool.\n")
    (tmp_path / "app.py").write_text(
        '"""Served as the image does."""\n\nfor key, value in {}.items():  # each item\n    pass\n'
    )
    answer = {"metrics": True, "tracing": True, "database": "none", "docker": False}
    assert traces_of_options_that_are_off(tmp_path, answer) == [
        "README.md: 'the database' (database is off)",
        "app.py: 'item' (database is off)",
        "app.py: 'the image' (docker is off)",
    ]


def settings_fields(project: Path, package: str) -> list[str]:
    """The fields of the generated Settings class, as written in settings.py."""
    source = (project / "src" / package / "settings.py").read_text()
    return re.findall(r"^    ([a-z_]+): .*=", source, re.MULTILINE)


@pytest.mark.parametrize("name", ALL)
def test_every_setting_is_documented_and_no_secret_is_committed(
    bake: Callable[[str], Path], name: str
) -> None:
    project = bake(name)
    package = project.name.replace("-", "_")
    prefix = f"{package.upper()}_"
    fields = settings_fields(project, package)
    assert "max_body_bytes" in fields, "the settings were not found"
    example = (project / ".env.example").read_text()
    readme = (project / "README.md").read_text()
    undocumented = [
        field
        for field in fields
        if f"{prefix}{field.upper()}=" not in example or f"`{field.upper()}" not in readme
    ]
    assert not undocumented
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    assert not re.search(r"://[^/@\s]+:[^/@\s]+@", example), "a password in .env.example"


@pytest.mark.parametrize("name", ALL)
def test_ci_audits_the_dependencies(bake: Callable[[str], Path], name: str) -> None:
    project = bake(name)
    ci = answers(name)["ci"]
    if ci == "github":
        assert "make audit" in (project / ".github/workflows/ci.yml").read_text()
    elif ci == "gitlab":
        assert "pip-audit" in (project / ".gitlab-ci.yml").read_text()
    assert "--strict" in (project / "Makefile").read_text()
