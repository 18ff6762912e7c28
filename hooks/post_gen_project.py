"""Remove the files that the chosen options do not need, so what remains reads as hand-written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Rendered by cookiecutter; JSON escapes every quote, so no answer can break out of the string.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PACKAGE = Path("src") / ANSWERS["package_name"]
DATABASE = ANSWERS["database"]
CACHE = ANSWERS["cache"]
JOBS = ANSWERS["jobs"]
BROKER = ANSWERS["broker"]
DATABASES_WITH_VARIANTS = ("sqlite", "postgresql")

# Paths that belong to one option value: they stay only when that value was chosen.
DATABASE_FILES = [
    PACKAGE / "errors" / "database.py",
    PACKAGE / "infra" / "database.py",
    PACKAGE / "infra" / "orm.py",
    PACKAGE / "items",
    PACKAGE / "migrations",
    PACKAGE / "pagination.py",
    Path("tests") / "test_database.py",
    Path("tests") / "test_database_errors.py",
    Path("tests") / "test_items.py",
    Path("tests") / "test_migrations.py",
    Path("tests") / "test_readiness_database.py",
    Path("tests") / "test_secrets.py",
]
POSTGRESQL_FILES = [
    Path("tests") / "test_database_outage.py",
    Path("tests") / "test_database_reconnect.py",
    Path("tests") / "test_postgresql.py",
]
# Local servers for development: PostgreSQL, Redis, the broker.
SERVER_FILES = [Path("compose.yaml")]
# A TCP proxy the outage tests cut: of PostgreSQL, of Redis, of the broker.
OUTAGE_FILES = [Path("tests") / "tcp_proxy.py"]
# Files written once per database, as `<stem>_<database>.py`: the chosen one takes the plain name.
VARIANT_FILES = [
    Path("tests") / "database.py",
]
JOBS_FILES = [
    PACKAGE / "jobs",
    PACKAGE / "worker.py",
    PACKAGE / "scheduler.py",
    Path("tests") / "jobs.py",
    Path("tests") / "test_jobs.py",
    Path("tests") / "test_worker.py",
]
# The items' quote column the example job fills in.
JOBS_MIGRATION_FILES = [PACKAGE / "migrations" / "versions" / "0003_item_quotes.py"]
JOBS_METRICS_FILES = [PACKAGE / "jobs" / "metrics.py"]
JOBS_KUBERNETES_FILES = [
    Path("deploy") / "k8s" / "worker.yaml",
    Path("deploy") / "k8s" / "scheduler.yaml",
]
CI_FILES = {
    "github": [Path(".github")],
    "gitlab": [Path(".gitlab-ci.yml"), Path("renovate.json")],
}
DOCKER_FILES = [Path("Dockerfile"), Path(".dockerignore")]
KUBERNETES_FILES = [Path("deploy")]
# Without a database, Redis or a broker the service has no secret to hand the cluster.
KUBERNETES_SECRET_FILES = [Path("deploy") / "k8s" / "secret.yaml"]
LICENSE_FILES = [Path("LICENSE")]
OBSERVABILITY = PACKAGE / "observability"
METRICS_FILES = [
    OBSERVABILITY / "metrics.py",
    OBSERVABILITY / "request_metrics.py",
    OBSERVABILITY / "http_metrics.py",
    OBSERVABILITY / "metrics_extension.py",
    Path("tests") / "scrape.py",
    Path("tests") / "test_metrics.py",
    Path("tests") / "test_multiprocess_metrics.py",
]
METRICS_DATABASE_FILES = [OBSERVABILITY / "pool_metrics.py", Path("tests") / "test_pool_metrics.py"]
TRACING_FILES = [OBSERVABILITY / "tracing.py", Path("tests") / "test_tracing.py"]
TRACING_DATABASE_FILES = [OBSERVABILITY / "database_tracing.py"]
# Prometheus and OpenTelemetry side by side: each call is counted once.
METRICS_TRACING_FILES = [Path("tests") / "test_counted_once.py"]
AUTH_FILES = [
    PACKAGE / "auth",
    Path("scripts") / "dev_token.py",
    Path("tests") / "identity.py",
    Path("tests") / "test_auth.py",
    Path("tests") / "test_auth_server.py",
]
CACHE_FILES = [
    PACKAGE / "cache",
    PACKAGE / "infra" / "redis.py",
    OBSERVABILITY / "cache_metrics.py",
    Path("tests") / "test_cache_metrics.py",
    Path("tests") / "test_cache_server.py",
    Path("tests") / "test_item_cache.py",
    Path("tests") / "test_rate_limit.py",
    Path("tests") / "test_redis_guard.py",
    Path("tests") / "test_redis_outage.py",
    Path("tests") / "test_redis_rules.py",
]
# The tests' Redis server, for the cache and the job queue alike.
REDIS_FILES = [Path("tests") / "redis_server.py"]
# Where the cache hooks into the example resource, which only a bake with a database has.
ITEM_CACHE_FILES = [PACKAGE / "items" / "cache.py"]
# Without a database the option is rate limiting only: nothing to cache.
CACHE_DATABASE_FILES = [PACKAGE / "cache" / "aside.py", Path("tests") / "test_item_cache.py"]
CACHE_METRICS_FILES = [OBSERVABILITY / "cache_metrics.py", Path("tests") / "test_cache_metrics.py"]
EVENTS = PACKAGE / "events"
BROKER_FILES = [
    EVENTS,
    Path("tests") / "broker.py",
    Path("tests") / "eventually.py",
    Path("tests") / "test_events.py",
    Path("tests") / "test_broker_rules.py",
]
# The outbox, its relay and the consumer keep their state in the database.
BROKER_DATABASE_FILES = [
    EVENTS / "consumer.py",
    EVENTS / "contract.py",
    EVENTS / "observer.py",
    EVENTS / "outbox.py",
    EVENTS / "relay.py",
    PACKAGE / "migrations" / "versions" / "0002_create_outbox.py",
    Path("tests") / "test_outbox.py",
    Path("tests") / "test_consumer.py",
    Path("tests") / "test_broker_outage.py",
]
# The broker's counters on /metrics: of the outbox and the consumer, which need a database.
BROKER_METRICS_FILES = [
    OBSERVABILITY / "broker_metrics.py",
    Path("tests") / "test_broker_metrics.py",
]
# Files written once per broker, as `<stem>_<broker>.py`: the chosen one takes the plain name.
BROKER_VARIANT_FILES = [EVENTS / "broker.py", Path("tests") / "broker.py"]
BROKERS = ("rabbitmq", "nats")

FIRST_COMMIT = "Start the service from the async-fastapi template"
# Where the template came from and every answer: `make update-template` renders from it again.
RECORD = Path(".async-fastapi.json")


def remove(path: Path) -> None:
    """Remove a file or folder; one inside a folder removed before is gone already."""
    if not path.exists():
        return
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def choose_variant(path: Path, values: tuple[str, ...], chosen: str) -> None:
    for value in values:
        variant = path.with_stem(f"{path.stem}_{value}")
        if value == chosen:
            variant.rename(path)
        else:
            remove(variant)


def unneeded_files() -> list[Path]:
    paths = [path for ci, files in CI_FILES.items() if ci != ANSWERS["ci"] for path in files]
    if DATABASE == "none":
        paths += DATABASE_FILES
    if DATABASE != "postgresql":
        paths += POSTGRESQL_FILES
    if DATABASE != "postgresql" and CACHE != "redis" and BROKER == "none" and JOBS == "none":
        paths += SERVER_FILES
    # The broker's outage test is the outbox's: without a database it has none.
    if DATABASE != "postgresql" and CACHE != "redis" and (BROKER == "none" or DATABASE == "none"):
        paths += OUTAGE_FILES
    if CACHE != "redis" and JOBS == "none":
        paths += REDIS_FILES
    if CACHE != "redis":
        paths += CACHE_FILES + (ITEM_CACHE_FILES if DATABASE != "none" else [])
    else:
        if DATABASE == "none":
            paths += CACHE_DATABASE_FILES
        if not ANSWERS["metrics"]:
            paths += CACHE_METRICS_FILES
    if not ANSWERS["docker"]:
        paths += DOCKER_FILES
    if not ANSWERS["kubernetes"]:
        paths += KUBERNETES_FILES
    elif DATABASE == "none" and CACHE != "redis" and BROKER == "none":
        paths += KUBERNETES_SECRET_FILES
    if ANSWERS["license"] == "proprietary":
        paths += LICENSE_FILES
    if not ANSWERS["metrics"]:
        paths += METRICS_FILES + METRICS_DATABASE_FILES
    elif DATABASE == "none":
        paths += METRICS_DATABASE_FILES
    if not ANSWERS["tracing"]:
        paths += TRACING_FILES + TRACING_DATABASE_FILES
    elif DATABASE == "none":
        paths += TRACING_DATABASE_FILES
    if not (ANSWERS["metrics"] and ANSWERS["tracing"]):
        paths += METRICS_TRACING_FILES
    if ANSWERS["auth"] != "jwt":
        paths += AUTH_FILES
    if JOBS == "none":
        paths += JOBS_FILES
        if DATABASE != "none":
            paths += JOBS_MIGRATION_FILES
        if ANSWERS["kubernetes"]:
            paths += JOBS_KUBERNETES_FILES
    elif not ANSWERS["metrics"]:
        paths += JOBS_METRICS_FILES
    if BROKER == "none" or DATABASE == "none" or not ANSWERS["metrics"]:
        paths += BROKER_METRICS_FILES
    if BROKER == "none":
        paths += BROKER_FILES + BROKER_DATABASE_FILES
    elif DATABASE == "none":
        paths += BROKER_DATABASE_FILES
    return paths


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


def failure(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return f"`{' '.join(result.args)}` failed: {lines[0] if lines else result.returncode}"


def lock_dependencies() -> str:
    """Commit a lock file with the code: CI and the image install with `uv sync --locked`."""
    if shutil.which("uv") is None:
        return "uv not found: no uv.lock yet; run `uv lock` and commit it before CI runs"
    result = run("uv", "lock", "--quiet")
    if result.returncode != 0:
        return f"{failure(result)}; run `uv lock` and commit uv.lock before CI runs"
    return "locked the dependencies in uv.lock"


def init_git() -> str:
    """Make the first commit, and say what was done or skipped, and why."""
    if shutil.which("git") is None:
        return "git not found: skipped `git init`; the files are ready to commit"
    if run("git", "rev-parse", "--is-inside-work-tree").returncode == 0:
        return "already inside a git work tree: skipped `git init`; commit the service there"
    # The author comes from the answers, so the commit works where git has no identity set up.
    author = ["-c", f"user.name={ANSWERS['author_name']}"]
    author += ["-c", f"user.email={ANSWERS['author_email']}"]
    steps = [
        ["init", "--quiet", "--initial-branch=main"],
        ["add", "--all"],
        [*author, "commit", "--quiet", "--no-verify", "--message", FIRST_COMMIT],
    ]
    for step in steps:
        result = run("git", *step)
        if result.returncode != 0:
            return failure(result)
    return "created a git repository on branch main with a first commit"


def next_steps() -> list[str]:
    """Where the service is and its two commands, as its README gives them."""
    migrate = "" if DATABASE == "none" else " && uv run alembic upgrade head"
    steps = [
        f"the service is in {Path.cwd()}; there,",
        f"  serve it on http://127.0.0.1:8000:  uv sync{migrate} && uv run fastapi dev",
        "  test it:  uv run pytest",
    ]
    if DATABASE == "postgresql":
        steps.append('  both need PostgreSQL on 127.0.0.1:5432 (README: "PostgreSQL")')
    if JOBS == "taskiq":
        package = ANSWERS["package_name"]
        steps.append(
            f"  run the job worker and scheduler:  uv run python -m {package}.worker"
            f"  and  uv run python -m {package}.scheduler  (both need Redis on 127.0.0.1:6379)"
        )
    if shutil.which("uv") is None:
        steps.append(
            "uv is not installed: `pipx install uv` or `python3 -m pip install --user uv` "
            "installs it (more ways: https://docs.astral.sh/uv/getting-started/installation/)"
        )
    return steps


def template_location() -> tuple[str, Path]:
    """The template as the bake named it (a local one as an absolute path), and its directory.

    A relative path is relative to where cookiecutter started, which its hooks see as PWD.
    """
    directory = Path(os.environ.get("PWD", "."), ANSWERS["_repo_dir"]).resolve()
    named = Path(os.environ.get("PWD", "."), ANSWERS["_template"])
    return (str(named.resolve()) if named.is_dir() else ANSWERS["_template"]), directory


def record_origin() -> str | None:
    """Write the template, its commit and every answer; say so when the commit is unknown."""
    template, directory = template_location()
    commit = None
    if shutil.which("git") is not None:
        # The template's own repository: not one that merely holds a copy in a subdirectory.
        result = run("git", "-C", str(directory), "rev-parse", "--show-prefix", "HEAD")
        prefix, _, head = result.stdout.partition("\n")
        commit = head.strip() if result.returncode == 0 and not prefix else None
    answers = {key: value for key, value in ANSWERS.items() if not key.startswith("_")}
    record = {
        "template": template,
        "checkout": ANSWERS.get("_checkout"),
        "commit": commit,
        "answers": answers,
    }
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    if commit is None:
        return (
            f"the template is not a git checkout (or git is missing): {RECORD} records no "
            "commit, so `make update-template` cannot tell what the template changed since"
        )
    return None


def main() -> int:
    for path in VARIANT_FILES:
        choose_variant(path, DATABASES_WITH_VARIANTS, DATABASE)
    for path in BROKER_VARIANT_FILES:
        choose_variant(path, BROKERS, BROKER)
    for path in unneeded_files():
        remove(path)
    lines = []
    if problem := record_origin():
        lines.append(problem)
    if ANSWERS["init_git"]:
        # The lock belongs in the first commit, wherever that is made.
        lines += [lock_dependencies(), init_git()]
    for line in lines + next_steps():
        print(f"async-fastapi: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
