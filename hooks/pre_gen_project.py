"""Reject bad answers before cookiecutter writes a single file of the service."""

from __future__ import annotations

import json
import keyword
import re
import sys

# Rendered by cookiecutter; JSON escapes every quote, so no answer can break out of the string.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

SUPPORTED_PYTHON = ("3.11", "3.12", "3.13", "3.14")
DATABASES = ("sqlite", "postgresql", "none")
BROKERS = ("none", "rabbitmq", "nats")
CACHES = ("none", "redis")
AUTH = ("none", "jwt")
JOBS = ("none", "taskiq")

# Top-level modules of the service's dependencies, runtime and dev, read from its pyproject.toml
# as this bake renders it (local_extensions.py); a package with one of these names shadows one.
DECLARED_MODULES = json.loads(r"""{{ cookiecutter | dependency_modules | jsonify }}""")
# And the modules of what they bring that the service imports itself.
INDIRECT_MODULES = {"anyio", "pydantic_core", "starlette"}
# And what scripts/update_template.py runs on (`uv run --with`, not a declared dependency).
INDIRECT_MODULES |= {"cookiecutter"}
# And the broker's client under FastStream, which the tests drive directly.
INDIRECT_MODULES |= {"rabbitmq": {"aio_pika"}, "nats": {"nats"}}.get(ANSWERS["broker"], set())
DEPENDENCY_MODULES = frozenset(DECLARED_MODULES) | INDIRECT_MODULES

# sys.stdlib_module_names leaves out `test`, and lacks modules added after this interpreter.
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | {"test", "annotationlib", "compression"}

# Top-level packages the generated project already has.
RESERVED = frozenset({"tests"})

SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def invalid(field: str, value: str, rule: str) -> str:
    return f"{field} {value!r} is invalid: {rule}"


def check_slug(slug: str) -> str | None:
    if not SLUG.fullmatch(slug):
        return invalid(
            "project_slug",
            slug,
            "use lowercase letters and digits in words joined by single hyphens, "
            "starting with a letter (for example 'orders-service')",
        )
    return None


def check_package(name: str) -> str | None:
    if not PACKAGE.fullmatch(name):
        return invalid(
            "package_name",
            name,
            "use a lowercase Python identifier (letters, digits, underscores, "
            "starting with a letter)",
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return invalid("package_name", name, "it is a Python keyword")
    if name in STDLIB_MODULES:
        return invalid(
            "package_name", name, f"it would shadow the standard-library module {name!r}"
        )
    if name in DEPENDENCY_MODULES:
        return invalid("package_name", name, f"it would shadow the service's dependency {name!r}")
    if name in RESERVED:
        return invalid(
            "package_name", name, f"the generated project already has a {name!r} package"
        )
    return None


def check_email(email: str) -> str | None:
    if not EMAIL.fullmatch(email):
        return invalid("author_email", email, "expected an address like 'name@example.com'")
    return None


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> str | None:
    if value not in choices:
        return invalid(field, value, f"choose one of {', '.join(choices)}")
    return None


def check_kubernetes(answers: dict[str, object]) -> str | None:
    # Flags arrive as booleans: cookiecutter converts yes/no answers and refuses anything else.
    if not answers["kubernetes"]:
        return None
    if not answers["docker"]:
        return (
            "kubernetes needs docker: the manifests deploy the service's container image "
            "(answer docker=yes, or kubernetes=no)"
        )
    if answers["database"] == "sqlite":
        return (
            "kubernetes runs several replicas, and they cannot share one SQLite file "
            "(choose database=postgresql or database=none, or kubernetes=no)"
        )
    return None


def check_jobs(answers: dict[str, object]) -> str | None:
    if answers["jobs"] != "none" and answers["database"] == "none":
        return (
            "jobs=taskiq needs a database: the example job enriches the stored items and the "
            "scheduled sweep finds the items it missed (choose database=sqlite or postgresql, "
            "or jobs=none; a stateless service adds its own worker later, see docs/options.md)"
        )
    return None


def main() -> int:
    checks = (
        check_slug(ANSWERS["project_slug"]),
        check_package(ANSWERS["package_name"]),
        check_email(ANSWERS["author_email"]),
        check_choice("python_version", ANSWERS["python_version"], SUPPORTED_PYTHON),
        check_choice("database", ANSWERS["database"], DATABASES),
        check_choice("broker", ANSWERS["broker"], BROKERS),
        check_choice("cache", ANSWERS["cache"], CACHES),
        check_choice("auth", ANSWERS["auth"], AUTH),
        check_choice("jobs", ANSWERS["jobs"], JOBS),
        check_kubernetes(ANSWERS),
        check_jobs(ANSWERS),
    )
    errors = [error for error in checks if error]
    for error in errors:
        print(f"async-fastapi: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
