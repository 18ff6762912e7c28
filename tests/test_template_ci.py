"""The template's own GitHub workflow: the whole suite on every push, and weekly against freshly
resolved dependencies, each combination on the Python it declares, every offered one installed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.combinations import COMBINATIONS
from tests.conftest import OFFERED_PYTHONS, TEMPLATE, run
from tests.test_files import tool

WORKFLOW = TEMPLATE / ".github" / "workflows" / "ci.yml"


def workflow() -> dict[Any, Any]:
    # YAML 1.1 reads the key `on` as True.
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    return list(job["steps"])


def lint(path: Path) -> list[str]:
    failures = []
    for command in (
        [tool("actionlint"), str(path)],
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
    ):
        result = run(command, cwd=TEMPLATE)
        if result.returncode != 0:
            failures.append(f"{command[0]}: {result.stdout}{result.stderr}")
    return failures


def test_the_template_workflow_passes_actionlint_and_the_schema() -> None:
    assert lint(WORKFLOW) == []


def test_a_broken_template_workflow_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    shutil.copy(WORKFLOW, broken)
    text = broken.read_text()
    assert "timeout-minutes: 60" in text
    broken.write_text(text.replace("timeout-minutes: 60", "timeout-minutes: an hour"))
    assert any("actionlint" in failure for failure in lint(broken))


def test_every_push_runs_the_suite_and_a_weekly_run_resolves_dependencies_afresh() -> None:
    triggers = workflow()[True]
    assert "push" in triggers
    assert [entry["cron"].split()[-1] for entry in triggers["schedule"]] == ["1"]
    runs = [step.get("run", "") for step in steps()]
    suite = runs.index("bash .ci/run")
    (fresh,) = [step for step in steps() if "uv lock --upgrade" in step.get("run", "")]
    assert "github.event_name == 'schedule'" in fresh["if"]
    assert "ASYNC_FASTAPI_UPGRADE=1" in fresh["run"]
    assert steps().index(fresh) < suite, "the locks are upgraded before the bakes run"


def test_the_workflow_installs_every_offered_python_and_requires_each() -> None:
    (install,) = [step["run"] for step in steps() if "uv python install" in step.get("run", "")]
    assert install.split()[3:] == list(OFFERED_PYTHONS)
    (job,) = workflow()["jobs"].values()
    assert job["env"]["ASYNC_FASTAPI_REQUIRE_EVERY_PYTHON"] == "1"


def test_every_offered_python_is_declared_by_a_combination() -> None:
    """Each combination's checks run on the Python it declares: so each offered version is one
    that some baked code has run on."""
    default = OFFERED_PYTHONS[0]
    declared = {answers.get("python_version", default) for answers in COMBINATIONS.values()}
    assert declared == set(OFFERED_PYTHONS)
