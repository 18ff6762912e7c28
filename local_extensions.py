"""Jinja extensions cookiecutter loads for this template (the `_extensions` key).

`ProjectFolderGuard`: cookiecutter renders the project folder's name and creates that folder,
parents and all, before the pre-generation hook can look at the answers; when the hook refuses,
only the folder itself is removed. A slug holding a path separator would leave its parents
behind, so it is refused while the name is rendered, before anything exists.

`DependencyModules`: the pre-generation hook refuses a package name that would shadow one of the
service's dependencies; the filter it gets them from reads them from the service's pyproject.toml
as this bake renders it, so a dependency added there is protected without another list.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment, pass_environment
from jinja2.ext import Extension

PYPROJECT = Path(__file__).resolve().parent / "{{cookiecutter.project_slug}}" / "pyproject.toml"
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Distributions whose top-level module is not their normalised name.
IMPORT_NAMES = {"python_json_logger": "pythonjsonlogger"}
# Distributions that install into one shared namespace package.
NAMESPACES = ("opentelemetry",)

# The name of the template's project folder, which cookiecutter renders first.
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"
SEPARATORS = ("/", "\\")


def project_folder(slug: str) -> str:
    if any(separator in slug for separator in SEPARATORS) or slug in {".", ".."}:
        raise FailedHookException(
            f"async-fastapi: project_slug {slug!r} is invalid: it must name one folder, "
            "without '/' or '\\' (for example 'orders-service')"
        )
    return slug


class ProjectFolderGuard(Extension):
    """Renders the project folder's name through `project_folder`, which refuses a path."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["project_folder"] = project_folder

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if source == PROJECT_FOLDER:
            return "{{ cookiecutter.project_slug | project_folder }}"
        return source


def distribution(requirement: str) -> str:
    """`pydantic-settings>=2` -> `pydantic_settings`: the name, normalised as a module's."""
    match = REQUIREMENT_NAME.match(requirement)
    assert match, f"not a requirement: {requirement!r}"
    return re.sub(r"[-_.]+", "_", match.group()).lower()


def import_name(requirement: str) -> str:
    """`pydantic-settings>=2` -> `pydantic_settings`; `opentelemetry-sdk` -> `opentelemetry`."""
    name = distribution(requirement)
    namespace = next((space for space in NAMESPACES if name.startswith(f"{space}_")), None)
    return namespace or IMPORT_NAMES.get(name, name)


def requirements(pyproject: str) -> list[str]:
    """Every requirement of a pyproject.toml: the runtime ones and each dependency group's."""
    table = tomllib.loads(pyproject)
    groups = table.get("dependency-groups", {}).values()
    listed = [
        *table["project"].get("dependencies", []),
        *(item for group in groups for item in group),
    ]
    return [item for item in listed if isinstance(item, str)]


@pass_environment
def dependency_modules(environment: Environment, answers: Mapping[str, Any]) -> list[str]:
    """The top-level modules of the dependencies this bake's pyproject.toml declares."""
    rendered = environment.from_string(PYPROJECT.read_text()).render(cookiecutter=answers)
    return sorted({import_name(requirement) for requirement in requirements(rendered)})


class DependencyModules(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["dependency_modules"] = dependency_modules
