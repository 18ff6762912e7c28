"""A generated service takes later versions of the template: every bake records where it came
from, `make update-template` merges the template's changes three ways (the user's stay, a clash
is a conflict, nothing is overwritten) and refuses what it cannot do safely, and CI says when the
template has moved on without failing."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.conftest import TEMPLATE, check, clean_env, run

SLUG = "{{cookiecutter.project_slug}}"
SCRIPT = TEMPLATE / SLUG / "scripts" / "update_template.py"
RECORD = ".async-fastapi.json"
# Only what a render reads: the tests and the rest of the repository play no part.
RENDERED_FROM = {"cookiecutter.json", "hooks", "local_extensions.py", "templates", SLUG}
IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
README_LINE = "An async [FastAPI](https://fastapi.tiangolo.com) service: every endpoint is"


def git(repo: Path, *args: str) -> str:
    result = run(["git", *IDENTITY, *args], cwd=repo)
    check(result)
    return result.stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "--message", message)
    return git(repo, "rev-parse", "HEAD").strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git repository holding the template as this checkout has it, changes not yet committed
    included: the commit a service is first generated from."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], TEMPLATE)
    check(listed)
    repo = tmp_path / "template"
    for name in filter(None, listed.stdout.split("\0")):
        source = TEMPLATE / name
        if Path(name).parts[0] in RENDERED_FROM and source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_all(repo, "The template as a service is first generated from it")
    return repo


def bake_quietly_from(template: str, output: Path, **answers: Any) -> Path:
    context = {"init_git": False, **answers}
    project = cookiecutter(template, no_input=True, output_dir=str(output), extra_context=context)
    return Path(project)


def generate(template: Path, output: Path, **answers: Any) -> Path:
    """A service from the template, committed as its own repository, as a user starts one."""
    project = bake_quietly_from(str(template), output, **answers)
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "Start")
    return project


def update(project: Path, *args: str, **env: str) -> tuple[int, str]:
    """The update script, run with this environment's Python (which has the renderer)."""
    result = run([sys.executable, "scripts/update_template.py", *args], project, clean_env(**env))
    return result.returncode, result.stdout + result.stderr


def status(project: Path) -> str:
    return git(project, "status", "--porcelain")


def record(project: Path) -> dict[str, Any]:
    return dict(json.loads((project / RECORD).read_text()))


def test_the_bake_records_the_template_its_commit_and_every_answer(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "out", project_name="Stock Keeper", ci="gitlab")
    recorded = record(project)
    assert recorded["template"] == str(template_repo)
    assert recorded["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    # Every option, whatever options the template has: all but the private `_` keys.
    options = json.loads((template_repo / "cookiecutter.json").read_text())
    assert set(recorded["answers"]) == {name for name in options if not name.startswith("_")}
    assert recorded["answers"]["project_name"] == "Stock Keeper"
    assert recorded["answers"]["ci"] == "gitlab"
    assert recorded["answers"]["package_name"] == "stock_keeper"


def test_a_template_named_by_a_relative_path_is_recorded_by_its_absolute_one(
    template_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cookiecutter hands its hooks a relative template path as typed; PWD, which a shell sets,
    says from where."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    bake_quietly_from("template", Path("out"))
    assert record(tmp_path / "out" / "orders-service")["template"] == str(template_repo)


@pytest.mark.parametrize("where", ["in-no-repository", "inside-another-repository"])
def test_a_template_that_is_no_git_checkout_is_recorded_without_a_commit_and_said_so(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], where: str
) -> None:
    shutil.rmtree(template_repo / ".git")
    if where == "inside-another-repository":
        # A copy kept in some other project: that project's commit is not the template's.
        git(tmp_path, "init", "--quiet")
        commit_all(tmp_path, "A project that holds a copy of the template")
    project = bake_quietly_from(str(template_repo), tmp_path / "out")
    assert record(project)["commit"] is None
    assert "async-fastapi: the template is not a git checkout" in capfd.readouterr().out


def change_the_template(template: Path) -> str:
    """A later commit of the template: a new file, an edited line nobody else touched, an edited
    line the user changed too, a file removed, and an edit to a file the user may delete."""
    project = template / SLUG
    edit(project / ".dockerignore", "**/__pycache__\n", "**/__pycache__\n**/.pytest_cache\n")
    (project / "CONTRIBUTING.md").write_text(
        "# Contributing to {{ cookiecutter.project_name }}\n\nOpen a pull request.\n"
    )
    edit(project / "Makefile", "# Everyday tasks: `make help`", "# Everyday tasks, `make help`")
    edit(project / "README.md", README_LINE, "A fast [FastAPI](https://fastapi.tiangolo.com) app:")
    (project / "scripts" / "bench_middleware.py").unlink()
    return commit_all(template, "A later version of the template")


def test_make_update_template_merges_the_template_and_keeps_the_users_changes(
    template_repo: Path, tmp_path: Path
) -> None:
    """The documented command, on a service whose first commit the bake itself made."""
    project = Path(cookiecutter(str(template_repo), no_input=True, output_dir=str(tmp_path)))
    assert git(project, "ls-files", RECORD).strip() == RECORD, "the first commit holds the record"
    edit(project / "README.md", README_LINE, "Our orders service: every endpoint is")
    with (project / ".env.example").open("a") as env_file:
        env_file.write("# Ours: a setting of our own.\n")
    (project / ".dockerignore").unlink()
    commit_all(project, "Our own changes")
    later = change_the_template(template_repo)

    result = run(["make", "update-template"], project, clean_env())
    output = result.stdout + result.stderr

    assert result.returncode != 0, "a conflict needs the user: the command says so by failing"
    assert "conflicts, marked in the files" in output
    assert re.search(r"conflicts, marked in the files.*: README\.md;", output), output
    # The new file arrives, rendered; the edit nobody else made merges; the removal applies.
    assert (project / "CONTRIBUTING.md").read_text().startswith("# Contributing to Orders Service")
    assert (project / "Makefile").read_text().startswith("# Everyday tasks, `make help`")
    assert not (project / "scripts" / "bench_middleware.py").exists()
    # The user's change in a file the template left alone is untouched.
    assert (project / ".env.example").read_text().endswith("# Ours: a setting of our own.\n")
    # Where both changed the same line, both versions wait in the file, and git knows.
    readme = (project / "README.md").read_text()
    assert re.search(
        r"^<<<<<<< ours\nOur orders service: .*\n=======\nA fast \[FastAPI\].*\n>>>>>>> theirs$",
        readme,
        re.MULTILINE,
    ), readme
    assert "UU README.md" in status(project).splitlines()
    # A change to a file the user deleted has nowhere to go: it waits beside it, whole.
    assert "kept for you to apply by hand: .dockerignore.rej" in output
    assert not (project / ".dockerignore").exists()
    assert "+**/.pytest_cache" in (project / ".dockerignore.rej").read_text()
    # What the update changed is the template's change, and nothing else.
    changed = git(project, "diff", "--cached", "--name-only").split()
    assert sorted(changed) == sorted(
        [RECORD, "CONTRIBUTING.md", "Makefile", "README.md", "scripts/bench_middleware.py"]
    )
    assert record(project)["commit"] == later


def test_an_update_without_clashes_leaves_only_the_templates_changes(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "out")
    edit(project / "src" / "orders_service" / "main.py", '"""', '"""Ours. ')
    ours = commit_all(project, "Our own change")
    later = change_the_template(template_repo)

    code, output = update(project)

    assert code == 0, output
    assert "conflict" not in output
    assert (project / "src" / "orders_service" / "main.py").read_text().startswith('"""Ours. ')
    changed = git(project, "diff", "--cached", "--name-only", ours).split()
    assert sorted(changed) == sorted(
        [
            RECORD,
            ".dockerignore",
            "CONTRIBUTING.md",
            "Makefile",
            "README.md",
            "scripts/bench_middleware.py",
        ]
    )
    assert record(project)["commit"] == later
    # Run again, it finds nothing more to do.
    commit_all(project, "Take the template's changes")
    code, output = update(project)
    assert (code, "nothing to do" in output) == (0, True), output


@pytest.mark.parametrize("change", ["edited", "untracked"])
def test_the_update_refuses_to_start_on_uncommitted_changes(
    template_repo: Path, tmp_path: Path, change: str
) -> None:
    project = generate(template_repo, tmp_path / "out")
    change_the_template(template_repo)
    if change == "edited":
        edit(project / "README.md", README_LINE, "Half-done work of ours:")
    else:
        (project / "notes.txt").write_text("half-done\n")
    before = status(project), record(project)

    code, output = update(project)

    assert code == 2
    assert "async-fastapi: not updated: uncommitted changes" in output
    assert "commit or stash them first" in output
    assert (status(project), record(project)) == before
    assert not (project / "CONTRIBUTING.md").exists()


def rename_an_option(template: Path, old: str, new: str) -> str:
    """A later commit of the template in which an option has another name."""
    options_file = template / "cookiecutter.json"
    options = json.loads(options_file.read_text())
    renamed = {(new if key == old else key): value for key, value in options.items()}
    renamed["__prompts__"][new] = renamed["__prompts__"].pop(old)
    options_file.write_text(json.dumps(renamed, indent=2) + "\n")
    for path in [*template.glob("hooks/*.py"), *(template / SLUG).rglob("*")]:
        if path.is_file() and f"cookiecutter.{old}" in path.read_text():
            edit(path, f"cookiecutter.{old}", f"cookiecutter.{new}")
    return commit_all(template, f"Rename the option {old} to {new}")


def test_an_answer_whose_option_was_renamed_stops_the_update_with_its_name(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "out", description="Keeps the stock counted.")
    later = rename_an_option(template_repo, "description", "summary")
    before = status(project), record(project)

    code, output = update(project)

    assert code == 2
    assert "the answer description='Keeps the stock counted.' fits no option" in output
    assert "renamed or removed" in output
    assert "--rename description=NEW (its options without an answer here: summary)" in output
    assert "--drop description" in output
    assert (status(project), record(project)) == before

    code, output = update(project, "--rename", "description=summary")

    assert code == 0, output
    answers = record(project)["answers"]
    assert "description" not in answers
    assert answers["summary"] == "Keeps the stock counted."
    assert record(project)["commit"] == later
    # The value carried over, so the files that show it have not changed.
    assert git(project, "diff", "--cached", "--name-only").split() == [RECORD]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_template", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    # Its dataclass looks its module up while the class is made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


OPTIONS = {"project_name": "Orders", "ci": ["github", "gitlab", "none"], "_private": {}}


@pytest.mark.parametrize(
    ("recorded", "changes", "message"),
    [
        pytest.param(
            {"project_name": "Orders", "ci": "github", "kubernetes": False},
            {},
            "the answer kubernetes=False fits no option of the template at abcdef1234: the option "
            "was renamed or removed there",
            id="removed",
        ),
        pytest.param(
            {"project_name": "Orders", "ci": "jenkins"},
            {},
            "ci='jenkins' is no longer offered by the template at abcdef1234 (it offers github, "
            "gitlab, none): rerun with --answer ci=VALUE",
            id="value-no-longer-offered",
        ),
        pytest.param(
            {"project_name": "Orders", "ci": "github"},
            {"drops": ["docker"]},
            "--drop docker: this service has no answer 'docker'",
            id="drop-unknown",
        ),
        pytest.param(
            {"project_name": "Orders", "ci": "github"},
            {"renames": {"name": "title"}},
            "--rename name=title: this service has no answer 'name'",
            id="rename-unknown",
        ),
    ],
)
def test_answers_the_newer_template_cannot_take_are_refused_by_name(
    recorded: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    script = load_script()
    arguments = {"renames": {}, "drops": [], "given": {}} | changes
    with pytest.raises(script.RefusedError, match=re.escape(message)):
        script.reconcile(recorded, OPTIONS, "abcdef1234567", **arguments)


def test_a_removed_option_is_dropped_and_a_new_one_takes_its_default_said_so() -> None:
    script = load_script()
    recorded = {"project_name": "Orders", "kubernetes": False}
    answers, notes = script.reconcile(
        recorded, OPTIONS, "abcdef1234567", renames={}, drops=["kubernetes"], given={}
    )
    assert answers == {"project_name": "Orders"}
    assert notes == ["new option ci: its default is taken (choose with --answer ci=VALUE)"]
    answers, notes = script.reconcile(
        recorded, OPTIONS, "abcdef1234567", renames={}, drops=["kubernetes"], given={"ci": "none"}
    )
    assert (answers, notes) == ({"project_name": "Orders", "ci": "none"}, [])


@pytest.mark.parametrize(
    ("template", "url"),
    [
        ("gh:acme/async-fastapi", "https://github.com/acme/async-fastapi.git"),
        ("gl:acme/async-fastapi", "https://gitlab.com/acme/async-fastapi.git"),
        ("git+https://example.com/acme/t.git", "https://example.com/acme/t.git"),
        ("https://example.com/acme/t.git", "https://example.com/acme/t.git"),
        ("/home/jane/async-fastapi", "/home/jane/async-fastapi"),
    ],
)
def test_the_recorded_template_is_handed_to_git_as_a_location_it_understands(
    template: str, url: str
) -> None:
    assert load_script().git_url(template) == url


def test_ci_is_told_when_the_template_moved_on_and_the_build_does_not_fail(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "out")
    code, output = update(project, "--check")
    assert (code, "up to date with the template" in output) == (0, True), output

    later = change_the_template(template_repo)

    code, output = update(project, "--check")
    assert code == 0, output
    assert f"is at {later[:10]} now; `make update-template` brings the changes in" in output
    code, output = update(project, "--check", GITHUB_ACTIONS="true")
    assert (code, output.startswith("::warning title=Template update::")) == (0, True), output
    # GitLab shows a job that fails but may fail as a warning: --strict gives it the status.
    code, output = update(project, "--check", "--strict")
    assert code == 3, output
    # A template out of reach is said, and fails nothing either.
    shutil.rmtree(template_repo)
    code, output = update(project, "--check")
    assert (code, "cannot reach the template" in output) == (0, True), output


@pytest.mark.parametrize(
    ("name", "ci"),
    [
        pytest.param("defaults", "github", marks=pytest.mark.xdist_group("defaults")),
        pytest.param("no-database", "gitlab", marks=pytest.mark.xdist_group("no-database")),
    ],
)
def test_generated_ci_runs_the_template_check_without_failing_on_it(
    bake: Callable[[str], Path], name: str, ci: str
) -> None:
    project = bake(name)
    if ci == "github":
        jobs = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]
        steps = jobs["template-update"]["steps"]
        assert "python3 scripts/update_template.py --check" in [step.get("run") for step in steps]
        # The script exits 0 when behind unless --strict; nothing may turn that into a failure.
        assert "--strict" not in json.dumps(steps)
    else:
        job = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["template-update"]
        assert job["script"] == ["python scripts/update_template.py --check --strict"]
        assert job["allow_failure"] is True
