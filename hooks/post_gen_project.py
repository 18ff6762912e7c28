"""Remove the files that the chosen options do not need, so what remains reads as hand-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

# Rendered by cookiecutter; JSON escapes every quote, so no answer can break out of the string.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PACKAGE = Path("src") / ANSWERS["package_name"]
DATABASE = ANSWERS["database"]
DATABASES_WITH_VARIANTS = ("sqlite", "postgresql")

# Paths that belong to one option value: they stay only when that value was chosen.
DATABASE_FILES = [
    PACKAGE / "database_errors.py",
    PACKAGE / "infra" / "database.py",
    PACKAGE / "infra" / "orm.py",
    PACKAGE / "items",
    PACKAGE / "migrations",
    Path("tests") / "test_database.py",
    Path("tests") / "test_database_errors.py",
    Path("tests") / "test_items.py",
    Path("tests") / "test_migrations.py",
    Path("tests") / "test_readiness_database.py",
    Path("tests") / "test_secrets.py",
]
POSTGRESQL_FILES = [
    Path("compose.yaml"),
    Path("tests") / "test_database_outage.py",
    Path("tests") / "test_postgresql.py",
]
# Files written once per database, as `<stem>_<database>.py`: the chosen one takes the plain name.
VARIANT_FILES = [
    Path("tests") / "database.py",
]
JOBS_FILES = [
    PACKAGE / "jobs",
    PACKAGE / "worker.py",
    PACKAGE / "scheduler.py",
    PACKAGE / "migrations" / "versions" / "0002_item_quotes.py",
    Path("tests") / "jobs.py",
    Path("tests") / "test_jobs.py",
    Path("tests") / "test_worker.py",
]
JOBS_METRICS_FILES = [PACKAGE / "jobs" / "metrics.py"]
JOBS_KUBERNETES_FILES = [
    Path("deploy") / "k8s" / "worker.yaml",
    Path("deploy") / "k8s" / "scheduler.yaml",
]
# The queue's client, one per server: the chosen one becomes jobs/broker.py.
JOBS_QUEUES = ("redis", "rabbitmq")
CI_FILES = {"github": [Path(".github")], "gitlab": [Path(".gitlab-ci.yml")]}
DOCKER_FILES = [Path("Dockerfile"), Path(".dockerignore")]
KUBERNETES_FILES = [Path("deploy")]
# Without a database the service has no secret to hand the cluster.
KUBERNETES_DATABASE_FILES = [Path("deploy") / "k8s" / "secret.yaml"]
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

FIRST_COMMIT = "Start the service from the async-fastapi template"


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def choose_variant(path: Path) -> None:
    for database in DATABASES_WITH_VARIANTS:
        variant = path.with_stem(f"{path.stem}_{database}")
        if database == DATABASE:
            variant.rename(path)
        else:
            remove(variant)


def choose_job_queue() -> None:
    if ANSWERS["jobs"] == "none":
        return  # the whole jobs package goes
    chosen = "rabbitmq" if ANSWERS["broker"] == "rabbitmq" else "redis"
    for queue in JOBS_QUEUES:
        variant = PACKAGE / "jobs" / f"broker_{queue}.py"
        if queue == chosen:
            variant.rename(variant.with_name("broker.py"))
        else:
            remove(variant)


def unneeded_files() -> list[Path]:
    paths = [path for ci, files in CI_FILES.items() if ci != ANSWERS["ci"] for path in files]
    if DATABASE == "none":
        paths += DATABASE_FILES
    if DATABASE != "postgresql":
        paths += POSTGRESQL_FILES
    if not ANSWERS["docker"]:
        paths += DOCKER_FILES
    if not ANSWERS["kubernetes"]:
        paths += KUBERNETES_FILES
    elif DATABASE == "none":
        paths += KUBERNETES_DATABASE_FILES
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
    if ANSWERS["jobs"] == "none":
        paths += JOBS_FILES
        if ANSWERS["kubernetes"]:
            paths += JOBS_KUBERNETES_FILES
    elif not ANSWERS["metrics"]:
        paths += JOBS_METRICS_FILES
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


def main() -> int:
    for path in VARIANT_FILES:
        choose_variant(path)
    choose_job_queue()
    for path in unneeded_files():
        remove(path)
    if ANSWERS["init_git"]:
        # The lock belongs in the first commit, wherever that is made.
        for line in (lock_dependencies(), init_git()):
            print(f"async-fastapi: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
