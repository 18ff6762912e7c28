"""The image's recipe works: followed by hand, since this machine has no Docker engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import call, check, clean_env, free_port, run, serving


@pytest.mark.slow
@pytest.mark.xdist_group("defaults")
def test_the_image_recipe_migrates_and_serves(bake: Callable[[str], Path], tmp_path: Path) -> None:
    """No Docker engine here, so follow the Dockerfile by hand: what it copies, how uv installs
    it, what the final stage keeps; then migrate and serve as the image does, port from the env.
    """
    project = bake("defaults")
    dockerfile = (project / "Dockerfile").read_text()
    assert 'CMD ["uvicorn", "orders_service.main:app"]' in dockerfile
    app = tmp_path / "app"
    app.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(project / name, app)
    shutil.copytree(project / "src", app / "src")
    build = clean_env(UV_COMPILE_BYTECODE="1", UV_PYTHON_DOWNLOADS="never")
    for flags in (["--no-install-project"], []):
        sync = ["uv", "sync", "--quiet", "--locked", "--no-dev", "--no-editable", *flags]
        check(run(sync, cwd=app, env=build))
    # The final stage has the environment and pyproject.toml (for Alembic), and no source.
    for name in ("uv.lock", "README.md"):
        (app / name).unlink()
    shutil.rmtree(app / "src")

    port = free_port()
    env = clean_env(
        PATH=f"{app / '.venv' / 'bin'}:{os.environ['PATH']}",
        ORDERS_SERVICE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        UVICORN_HOST="127.0.0.1",
        UVICORN_PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    check(run(["alembic", "upgrade", "head"], cwd=app, env=env))
    base = f"http://127.0.0.1:{port}"
    with serving(["uvicorn", "orders_service.main:app"], app, env, f"{base}/health/ready"):
        assert call("POST", f"{base}/api/v1/items", {"name": "widget"})[0] == 201
