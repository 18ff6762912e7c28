"""The template's own code passes ruff as a contributor runs it: plainly, at the root."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import TEMPLATE, check, run


@pytest.mark.parametrize(
    "command", [["check"], ["format", "--check"]], ids=["ruff-check", "ruff-format"]
)
def test_ruff_passes_at_the_template_root(command: list[str]) -> None:
    # The generated project's files are Jinja, not Python or TOML: ruff must skip that folder.
    check(run([sys.executable, "-m", "ruff", *command, "--no-cache", "."], cwd=TEMPLATE))
