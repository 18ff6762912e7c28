"""Say at the end of a run which slow tests it left out, and how to run them.

A plain `pytest` deselects the tests marked `slow` (pyproject.toml: `-m "not slow"`), so that
the everyday run takes seconds. A run that leaves tests out says so, with the command that runs
everything; `make test` and CI run everything.
"""

import pytest

RUN_EVERYTHING = 'uv run pytest -m ""'


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: pytest.ExitCode
) -> None:
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return  # the run stopped before its tests: what it left out is not the news
    left_out = [
        item
        for item in terminalreporter.stats.get("deselected", [])
        if isinstance(item, pytest.Item) and item.get_closest_marker("slow") is not None
    ]
    if left_out:
        terminalreporter.write_line(
            f"{len(left_out)} slow {'test' if len(left_out) == 1 else 'tests'} deselected: "
            f"run everything with `{RUN_EVERYTHING}` "
            "or `make test`.",
            yellow=True,
            bold=True,
        )
