"""The option combinations the template's tests bake: each value of each option at least once.

Every combination here runs the baked project's whole suite, so each one differs from the others
in code, not only in a file a validator checks. Together they cover every value of every option
and the pairs that interact: ci x database (the PostgreSQL service in CI), ci x docker (the image
job), docker x kubernetes, kubernetes x database (the Secret and the migration init container),
metrics x database (the pool gauges), tracing x database (the SQL spans), auth x database
(the items routes need a token and a scope; without a database only /api/v1/me does),
cache x database (cache-aside reads on SQLite and PostgreSQL, rate limiting only without a
database; the Redis service in CI and the Secret), jobs x database, cache, metrics and
kubernetes (the worker on SQLite and on PostgreSQL, beside the cache on one Redis and alone on
it, with and without its metrics, its Deployments), broker x database (the outbox on
PostgreSQL, whose relay locks rows with `FOR UPDATE SKIP LOCKED`, with RabbitMQ and with NATS,
and on SQLite; without a database only the connection and readiness; each broker's CI service,
compose service and Secret), broker x auth and tracing (the broker tests' apps hold the token
check; the relay's polls traced apart from requests) and jobs x broker (the job's migration
after the outbox's, the worker beside the relay).
The pairings that change only CI and container files are validated in test_files.py instead.

Each combination's checks run on the Python it declares (on the newest this machine has when it
lacks that one: 3.13 for 3.14 here), and every offered version is declared by one of them.
Combinations that make the first commit use Python 3.11: `uv lock` in the post-generation hook
needs an interpreter the project supports, and this machine cannot download another.
"""

from __future__ import annotations

from typing import Any

COMBINATIONS: dict[str, dict[str, Any]] = {
    # sqlite, github, docker, no kubernetes, MIT, git init, Python 3.11.
    "defaults": {},
    "everything-on": {
        "project_name": "Billing Ledger",
        "database": "postgresql",
        "ci": "github",
        "docker": True,
        "kubernetes": True,
        "metrics": True,
        "tracing": True,
        "auth": "jwt",
        "jobs": "taskiq",
        "broker": "nats",
        "license": "Apache-2.0",
        "init_git": True,
        "cache": "redis",
    },
    "everything-off": {
        "project_name": "Plain Echo",
        "python_version": "3.12",
        "database": "none",
        "ci": "none",
        "docker": False,
        "kubernetes": False,
        "metrics": False,
        "tracing": False,
        "license": "proprietary",
        "init_git": False,
    },
    "gitlab-postgres": {
        "project_name": "Stock Keeper",
        "python_version": "3.14",
        "database": "postgresql",
        "ci": "gitlab",
        "docker": False,
        "kubernetes": False,
        "metrics": False,
        "license": "BSD-3-Clause",
        "init_git": False,
        # The job worker without the cache (Redis for the queue alone) and without metrics.
        "jobs": "taskiq",
    },
    "no-database": {
        "database": "none",
        "project_name": "Stateless Gateway",
        "python_version": "3.13",
        "ci": "gitlab",
        "docker": True,
        "kubernetes": True,
        "tracing": True,
        "auth": "jwt",
        "license": "MIT",
        "init_git": False,
        "cache": "redis",
        "broker": "rabbitmq",
    },
    "postgresql": {
        "database": "postgresql",
        "project_name": "Ledger Service",
        "broker": "rabbitmq",
    },
    "sqlite-events": {
        "project_name": "Event Desk",
        "database": "sqlite",
        "init_git": False,
        "python_version": "3.11",
        "cache": "redis",
        "jobs": "taskiq",
        "broker": "nats",
    },
}
