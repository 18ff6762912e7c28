"""Bad answers are refused before anything is written, with one line that names the rule."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEMPLATE, run


def bake_cli(tmp_path: Path, **answers: str) -> tuple[int, str, Path]:
    """Run cookiecutter as a user would, so the message they would see is what we check."""
    output = tmp_path / "out"
    output.mkdir()
    args = [f"{key}={value}" for key, value in answers.items()]
    result = run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(output),
            str(TEMPLATE),
            *args,
        ],
        cwd=tmp_path,
    )
    return result.returncode, result.stdout + result.stderr, output


BAD_ANSWERS: list[Any] = [
    pytest.param(
        {"project_slug": "Orders_Service", "package_name": "orders"},
        "project_slug 'Orders_Service' is invalid: use lowercase",
        id="slug-case",
    ),
    pytest.param(
        {"project_slug": "orders--service", "package_name": "orders"},
        "project_slug 'orders--service' is invalid",
        id="slug-double-hyphen",
    ),
    pytest.param(
        {"project_slug": "-orders", "package_name": "orders"},
        "project_slug '-orders' is invalid",
        id="slug-leading-hyphen",
    ),
    pytest.param(
        {"package_name": "Orders"},
        "package_name 'Orders' is invalid: use a lowercase Python identifier",
        id="package-case",
    ),
    pytest.param(
        {"package_name": "orders-service"},
        "package_name 'orders-service' is invalid: use a lowercase",
        id="package-hyphen",
    ),
    pytest.param(
        {"package_name": "class"},
        "package_name 'class' is invalid: it is a Python keyword",
        id="keyword",
    ),
    pytest.param(
        {"package_name": "match"},
        "package_name 'match' is invalid: it is a Python keyword",
        id="soft-keyword",
    ),
    pytest.param(
        {"package_name": "asyncio"},
        "package_name 'asyncio' is invalid: it would shadow the standard-library module 'asyncio'",
        id="stdlib-asyncio",
    ),
    pytest.param(
        {"package_name": "test"},
        "would shadow the standard-library module 'test'",
        id="stdlib-test",
    ),
    pytest.param(
        {"package_name": "typing"},
        "would shadow the standard-library module 'typing'",
        id="stdlib-typing",
    ),
    pytest.param(
        {"package_name": "fastapi"},
        "package_name 'fastapi' is invalid: it would shadow the service's dependency 'fastapi'",
        id="dep-fastapi",
    ),
    pytest.param(
        {"package_name": "sqlalchemy"},
        "shadow the service's dependency 'sqlalchemy'",
        id="dep-sqlalchemy",
    ),
    pytest.param(
        {"package_name": "httpx"}, "shadow the service's dependency 'httpx'", id="dep-httpx"
    ),
    pytest.param(
        {"package_name": "pydantic"},
        "shadow the service's dependency 'pydantic'",
        id="dep-pydantic",
    ),
    pytest.param(
        {"package_name": "tests"},
        "package_name 'tests' is invalid: the generated project already has a 'tests' package",
        id="reserved-tests",
    ),
    pytest.param(
        {"author_email": "jane"},
        "author_email 'jane' is invalid: expected an address",
        id="email-no-at",
    ),
    pytest.param(
        {"author_email": "jane@localhost"},
        "author_email 'jane@localhost' is invalid",
        id="email-no-domain",
    ),
    pytest.param(
        {"author_email": "jane doe@example.com"},
        "author_email 'jane doe@example.com' is invalid",
        id="email-space",
    ),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_and_leaves_nothing(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    code, output, out_dir = bake_cli(tmp_path, **answers)
    assert code != 0
    assert message in output
    error_lines = [line for line in output.splitlines() if line.startswith("async-fastapi: ")]
    assert len(error_lines) == 1, output
    assert message in error_lines[0]
    assert list(out_dir.iterdir()) == [], "a refused bake must leave no directory behind"


@pytest.mark.parametrize("version", ["3.10", "2.7", "3.15"])
def test_unsupported_python_is_refused(tmp_path: Path, version: str) -> None:
    code, output, out_dir = bake_cli(tmp_path, python_version=version)
    assert code != 0
    assert "python_version" in output or "3.11" in output
    assert list(out_dir.iterdir()) == []


def test_every_bad_answer_is_listed_at_once(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, package_name="asyncio", author_email="nope")
    assert code != 0
    assert "package_name 'asyncio'" in output
    assert "author_email 'nope'" in output
    assert list(out_dir.iterdir()) == []


def test_good_answers_are_accepted(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(
        tmp_path, project_name="Payment Gateway 2", author_email="a.b+c@mail.example.org"
    )
    assert code == 0, output
    assert [path.name for path in out_dir.iterdir()] == ["payment-gateway-2"]
    assert (out_dir / "payment-gateway-2" / "src" / "payment_gateway_2" / "app.py").exists()
