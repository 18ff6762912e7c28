"""The option combinations the template's tests bake: each value of each option at least once.

Every combination here runs the baked project's whole suite, so each one differs from the others
in code, not only in a file a validator checks. Together they cover every value of every option
and the pairs that interact: ci x database (the PostgreSQL service in CI), ci x docker (the image
job), docker x kubernetes, kubernetes x database (the Secret and the migration init container),
metrics x database (the pool gauges), tracing x database (the SQL spans), and jobs x database,
metrics and kubernetes (the worker on SQLite and on PostgreSQL, its metrics, its Deployments).
The pairings that change only CI and container files are validated in test_files.py instead.

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
        "jobs": "taskiq",
        "license": "Apache-2.0",
        "init_git": True,
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
    },
    "no-database": {
        "database": "none",
        "project_name": "Stateless Gateway",
        "python_version": "3.13",
        "ci": "gitlab",
        "docker": True,
        "kubernetes": True,
        "tracing": True,
        "license": "MIT",
        "init_git": False,
    },
    "postgresql": {"database": "postgresql", "project_name": "Ledger Service"},
    # SQLite with the job worker on Redis.
    "sqlite-events": {
        "project_name": "Event Desk",
        "database": "sqlite",
        "python_version": "3.11",
        "init_git": False,
        "jobs": "taskiq",
    },
}
