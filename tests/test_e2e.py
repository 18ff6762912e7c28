"""A new user's path: bake, install with uv as the README says, test, serve over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import call, check, clean_env, free_port, run, serving


@pytest.mark.xdist_group("e2e")
def test_bake_install_test_and_serve(cookies: Any, tmp_path: Path) -> None:
    result = cookies.bake()
    assert result.exit_code == 0, str(result.exception)
    project = Path(result.project_path)
    env = clean_env(UV_PROJECT_ENVIRONMENT=str(project / ".venv"))

    check(run(["uv", "sync"], cwd=project, env=env))
    # Every test, the slow ones too, coverage floor included: the README's `make test`.
    check(run(["make", "test"], cwd=project, env=env))
    check(run(["uv", "run", "alembic", "upgrade", "head"], cwd=project, env=env))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The venv's own script, not `uv run`, so the exit status is the server's.
    fastapi = str(project / ".venv" / "bin" / "fastapi")
    command = [fastapi, "run", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, project, env, f"{base}/health/ready"):
        assert call("GET", f"{base}/health/live") == (200, {"status": "ok"})

        status, created = call("POST", f"{base}/api/v1/items", {"name": "gear"})
        assert status == 201
        item = f"{base}/api/v1/items/{created['id']}"
        assert call("GET", item) == (200, created)
        assert call("POST", f"{base}/api/v1/items", {"name": "gear"})[0] == 409
        status, page = call("GET", f"{base}/api/v1/items?limit=10&include_total=true")
        assert (status, page["total"]) == (200, 1)
        status, updated = call("PATCH", item, {"description": "toothed"})
        assert (status, updated["description"]) == (200, "toothed")
        assert call("DELETE", item) == (204, None)
        assert call("GET", item)[0] == 404
