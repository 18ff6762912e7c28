"""A generated service is told of its dependencies' updates once a week, grouped: Dependabot on
GitHub, Renovate on GitLab. test_files.py validates both files against the bots' schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import bake_quietly


@pytest.mark.parametrize("docker", [True, False], ids=["docker", "no-docker"])
def test_dependabot_groups_the_lock_and_the_actions_weekly_and_the_image_base_apart(
    tmp_path: Path, docker: bool
) -> None:
    project = bake_quietly(tmp_path, ci="github", docker=docker)
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    assert config["multi-ecosystem-groups"]["weekly"]["schedule"]["interval"] == "weekly"
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"uv", "github-actions"} | ({"docker"} if docker else set())
    for ecosystem in ("uv", "github-actions"):
        assert updates[ecosystem]["multi-ecosystem-group"] == "weekly"
        assert updates[ecosystem]["patterns"] == ["*"]
    if docker:
        assert updates["docker"]["schedule"]["interval"] == "weekly"
        assert updates["docker"]["groups"]["image-base"]["patterns"] == ["*"]
    assert not (project / "renovate.json").exists()


@pytest.mark.parametrize("docker", [True, False], ids=["docker", "no-docker"])
def test_renovate_groups_a_weeks_updates_and_refreshes_the_lock(
    tmp_path: Path, docker: bool
) -> None:
    project = bake_quietly(tmp_path, ci="gitlab", docker=docker)
    config = json.loads((project / "renovate.json").read_text())
    # One early-morning window on Mondays (minute, hour, day of month, month, day of week).
    (window,) = config["schedule"]
    assert window.split()[-1] == "1"
    assert config["lockFileMaintenance"]["enabled"] is True
    assert config["rangeStrategy"] == "update-lockfile"
    groups = {rule["groupName"]: rule for rule in config["packageRules"]}
    assert groups["weekly dependency updates"]["matchPackageNames"] == ["*"]
    assert ("container image base" in groups) == docker
    assert not (project / ".github").exists()


def test_without_ci_no_bot_is_configured(tmp_path: Path) -> None:
    project = bake_quietly(tmp_path, ci="none")
    assert not (project / ".github").exists()
    assert not (project / "renovate.json").exists()
