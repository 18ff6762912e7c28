# /// script
# requires-python = ">=3.11"
# dependencies = ["cookiecutter>=2.6"]
# ///
"""Bring the template's changes since this service was generated into it, or say whether any wait.

`make update-template` renders the template twice with the answers that .async-fastapi.json
records, at the recorded commit and at the newest one, and merges the difference into this
repository three ways, as git merges: your changes stay; a line that both you and the template
changed becomes a conflict, marked in the file; a change that finds nothing to apply to (a file
you deleted) is kept in a `.rej` file beside it. Nothing is overwritten silently, and nothing
starts on uncommitted changes. Exit status: 0 updated (or nothing to do), 1 updated with
conflicts or rejected changes to resolve, 2 refused (nothing changed).

`--check` only says whether the template has moved on, for CI: it needs git and nothing else,
and fails (status 3) only with `--strict`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD = Path(".async-fastapi.json")
# Answers that act only when a service is first generated: a render for an update must neither
# lock dependencies nor make a repository.
FIRST_BAKE_ONLY: dict[str, Any] = {"init_git": False}
# The short forms the template may be named by, as the renderer expands them.
ABBREVIATIONS = {
    "gh": "https://github.com/{}.git",
    "gl": "https://gitlab.com/{}.git",
    "bb": "https://bitbucket.org/{}",
}
UPDATED, CONFLICTS, REFUSED, BEHIND = 0, 1, 2, 3
DIFF_HEADER = re.compile(r"^diff --git a/(?:old|new)/(.+) b/(?:old|new)/(.+)$", re.MULTILINE)


class RefusedError(Exception):
    """The update cannot go ahead; nothing has been changed."""


@dataclass
class Origin:
    """What .async-fastapi.json records: where the template is, which commit, every answer."""

    template: str
    checkout: str | None
    commit: str | None
    answers: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> Origin:
        try:
            data = json.loads(path.read_text())
            return cls(data["template"], data.get("checkout"), data["commit"], data["answers"])
        except FileNotFoundError:
            raise RefusedError(
                f"{path} is missing: it records the template and the answers this service "
                "was generated with, and nothing can be updated without it"
            ) from None
        except (ValueError, KeyError, TypeError) as error:
            raise RefusedError(f"{path} cannot be read ({error!r}); restore it from git") from None

    def write(self, path: Path) -> None:
        record = {
            "template": self.template,
            "checkout": self.checkout,
            "commit": self.commit,
            "answers": self.answers,
        }
        path.write_text(json.dumps(record, indent=2) + "\n")


def say(message: str) -> None:
    print(f"async-fastapi: {message}", flush=True)


def git(
    *args: str, cwd: Path | None = None, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("git")
    if executable is None:
        raise RefusedError("git is needed, and was not found on PATH")
    # Paths unquoted, so that the patches split by file name below.
    command = [executable, "-c", "core.quotePath=false", *args]
    # git, with arguments this script builds: nothing untrusted reaches a shell.
    result = subprocess.run(  # noqa: S603
        command, cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[0] if lines else f"exit status {result.returncode}"
        raise RefusedError(f"`git {' '.join(args)}` failed: {reason}")
    return result


def short(commit: str | None) -> str:
    return commit[:10] if commit else "an unrecorded commit"


def git_url(template: str) -> str:
    """The template's location as git understands it: `gh:org/name` and the like expanded."""
    template = template.removeprefix("git+")
    prefix, _, rest = template.partition(":")
    if prefix in ABBREVIATIONS and rest and not rest.startswith("//"):
        return ABBREVIATIONS[prefix].format(rest)
    return template


def remote_commit(origin: Origin) -> str | None:
    """The commit the recorded branch (or the default branch) of the template is at now."""
    ref = origin.checkout or "HEAD"
    listing = git("ls-remote", git_url(origin.template), ref).stdout.splitlines()
    commits = {name: commit for commit, _, name in (line.partition("\t") for line in listing)}
    # An annotated tag is listed twice; `^{}` marks the commit it points at.
    peeled = [commit for name, commit in commits.items() if name.endswith("^{}")]
    found = peeled or list(commits.values())
    return found[0] if found else None


def check(project: Path, *, strict: bool) -> int:
    """Say whether the template has moved on since the recorded commit."""
    origin = Origin.read(project / RECORD)
    if origin.commit is None:
        say(f"{RECORD} records no template commit, so there is nothing to compare")
        return REFUSED if strict else UPDATED
    try:
        latest = remote_commit(origin)
    except RefusedError as error:
        warn(f"cannot reach the template at {origin.template}: {error}")
        return REFUSED if strict else UPDATED
    if latest is None:
        say(f"{origin.checkout} is no branch or tag of {origin.template}: nothing to compare")
        return UPDATED
    if latest == origin.commit:
        say(f"up to date with the template ({origin.template} at {short(latest)})")
        return UPDATED
    warn(
        f"the template has moved on: this service was generated from {short(origin.commit)}, "
        f"{origin.checkout or 'its default branch'} is at {short(latest)} now; "
        "`make update-template` brings the changes in"
    )
    return BEHIND if strict else UPDATED


def warn(message: str) -> None:
    """A line that CI shows beside the run; elsewhere a plain line."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=Template update::{message}", flush=True)
    else:
        say(message)


def require_clean(project: Path) -> tuple[Path, str]:
    """The repository's top level and the project's place in it, once the tree is clean."""
    if git("rev-parse", "--is-inside-work-tree", cwd=project, check=False).returncode != 0:
        raise RefusedError("the service is not in a git repository: commit it first")
    top = Path(git("rev-parse", "--show-toplevel", cwd=project).stdout.strip())
    prefix = git("rev-parse", "--show-prefix", cwd=project).stdout.strip()
    changed = git("status", "--porcelain", "--", ".", cwd=project).stdout.splitlines()
    if changed:
        listed = ", ".join(line[3:] for line in changed[:5]) + (", ..." if len(changed) > 5 else "")
        raise RefusedError(
            f"uncommitted changes ({listed}): commit or stash them first, so that the update's "
            "changes stand apart from yours and can be undone"
        )
    return top, prefix


def parse_pairs(pairs: list[str], flag: str) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise RefusedError(f"{flag} {pair!r}: write it as NAME=VALUE")
        parsed[name] = value
    return parsed


def reconcile(
    recorded: dict[str, Any],
    options: dict[str, Any],
    commit: str,
    *,
    renames: dict[str, str],
    drops: list[str],
    given: dict[str, str],
) -> tuple[dict[str, Any], list[str]]:
    """The answers for the newer template, and notes on new options; refuses an answer that no
    option takes any more (renamed or removed) or a value no longer offered."""
    offered = {name: value for name, value in options.items() if not name.startswith("_")}
    answers = dict(recorded)
    for old, new in renames.items():
        if old not in answers:
            raise RefusedError(f"--rename {old}={new}: this service has no answer {old!r}")
        answers[new] = answers.pop(old)
    for name in drops:
        if answers.pop(name, None) is None:
            raise RefusedError(f"--drop {name}: this service has no answer {name!r}")
    answers.update(given)
    unanswered = [name for name in offered if name not in answers]
    problems = []
    for name in [name for name in answers if name not in offered]:
        candidates = ", ".join(unanswered) or "none"
        problems.append(
            f"the answer {name}={answers[name]!r} fits no option of the template at "
            f"{short(commit)}: the option was renamed or removed there. If it was renamed, "
            f"rerun with --rename {name}=NEW (its options without an answer here: "
            f"{candidates}); if removed, rerun with --drop {name}"
        )
    for name, value in answers.items():
        choices = offered.get(name)
        if isinstance(choices, list) and value not in choices:
            problems.append(
                f"{name}={value!r} is no longer offered by the template at {short(commit)} "
                f"(it offers {', '.join(map(str, choices))}): rerun with --answer {name}=VALUE"
            )
    if problems:
        raise RefusedError("; ".join(problems) + ". Nothing was changed")
    notes = [
        f"new option {name}: its default is taken (choose with --answer {name}=VALUE)"
        for name in unanswered
    ]
    return answers, notes


def render(clone: Path, commit: str, answers: dict[str, Any], into: Path) -> dict[str, Any]:
    """The project the template at `commit` makes of `answers`, moved to `into`; returns the
    answers it recorded (the given ones, and defaults for options they do not name)."""
    from cookiecutter.exceptions import CookiecutterException  # type: ignore[import-not-found]
    from cookiecutter.main import cookiecutter  # type: ignore[import-not-found]

    git("checkout", "--quiet", "--detach", commit, cwd=clone)
    # The template's own Jinja extensions (local_extensions.py) import from its root, and each
    # version renders with its own.
    if str(clone) not in sys.path:
        sys.path.insert(0, str(clone))
    sys.modules.pop("local_extensions", None)
    first_bake = {key: value for key, value in FIRST_BAKE_ONLY.items() if key in answers}
    context = {**answers, **first_bake}
    output = into.with_name(f"{into.name}-render")
    try:
        project = Path(
            cookiecutter(
                str(clone),
                no_input=True,
                extra_context=context,
                output_dir=str(output),
                default_config=True,
            )
        )
    except (CookiecutterException, ValueError) as error:
        raise RefusedError(
            f"the template at {short(commit)} does not render these answers: {error}"
        ) from None
    project.rename(into)
    record = into / RECORD
    rendered = Origin.read(record).answers if record.exists() else dict(context)
    # The record is written by the update itself: merged, it would only conflict.
    record.unlink(missing_ok=True)
    return rendered


def store_blobs(top: Path, tree: Path) -> None:
    """Put the old render's files into the repository's objects, so that git finds the base of
    every three-way merge, even for a file that was changed before its first commit."""
    files = "\n".join(str(path) for path in sorted(tree.rglob("*")) if path.is_file())
    git("hash-object", "-w", "--no-filters", "--stdin-paths", cwd=top, stdin=files)


def file_patches(work: Path) -> dict[str, str]:
    """The template's change between the two renders, one patch per file."""
    result = git(
        "diff",
        "--no-index",
        "--binary",
        "--full-index",
        "--no-renames",
        "--no-color",
        "--no-ext-diff",
        # Explicit prefixes: a user's diff settings (noprefix, mnemonicPrefix) must not apply.
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "old",
        "new",
        cwd=work,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RefusedError(f"comparing the two renders failed: {result.stderr.strip()}")
    starts = [match.start() for match in DIFF_HEADER.finditer(result.stdout)]
    chunks = [result.stdout[a:b] for a, b in zip(starts, [*starts[1:], None], strict=False)]
    return {DIFF_HEADER.match(chunk).group(2): chunk for chunk in chunks}  # type: ignore[union-attr]


def apply(top: Path, prefix: str, path: str, patch: str, scratch: Path) -> str:
    """Merge one file's change: "merged", "conflict" (markers in the file) or "rejected" (what
    did not apply is in `<path>.rej`)."""
    scratch.write_text(patch)
    where = ["-p2", *([f"--directory={prefix.rstrip('/')}"] if prefix else []), str(scratch)]
    if git("apply", "--3way", *where, cwd=top, check=False).returncode == 0:
        return "merged"
    if git("ls-files", "--unmerged", "--", prefix + path, cwd=top).stdout.strip():
        return "conflict"
    if git("apply", "--reject", *where, cwd=top, check=False).returncode == 0:
        return "merged"
    rejected = top / prefix / f"{path}.rej"
    if not rejected.exists():
        # Not one hunk applied (the file is gone, or a removal met changes): keep all of it.
        rejected.parent.mkdir(parents=True, exist_ok=True)
        rejected.write_text(patch)
    return "rejected"


def resolve(clone: Path, ref: str | None) -> str:
    """The commit a branch, tag or commit of the template names; without one, the newest of the
    default branch."""
    names = [f"origin/{ref}", ref] if ref else ["HEAD"]
    for name in names:
        found = git("rev-parse", "--verify", "--quiet", name + "^{commit}", cwd=clone, check=False)
        if found.returncode == 0:
            return found.stdout.strip()
    raise RefusedError(f"the template has no branch, tag or commit {ref!r}")


def update(project: Path, to: str | None, **changes: Any) -> int:
    origin = Origin.read(project / RECORD)
    if origin.commit is None:
        raise RefusedError(
            f"{RECORD} records no template commit (the template was not a git checkout), so "
            "what changed since cannot be worked out"
        )
    top, prefix = require_clean(project)
    with tempfile.TemporaryDirectory(prefix="update-template-") as scratch:
        work = Path(scratch)
        clone = work / "template"
        git("clone", "--quiet", "--no-checkout", git_url(origin.template), str(clone))
        commit = resolve(clone, to or origin.checkout)
        if commit == origin.commit and not any(changes.values()):
            say(f"already at the template's newest commit ({short(commit)}): nothing to do")
            return UPDATED
        options = json.loads(git("show", f"{commit}:cookiecutter.json", cwd=clone).stdout)
        answers, notes = reconcile(origin.answers, options, commit, **changes)
        render(clone, origin.commit, origin.answers, work / "old")
        rendered = render(clone, commit, answers, work / "new")
        patches = file_patches(work)
        store_blobs(top, work / "old")
        outcomes: dict[str, list[str]] = {"merged": [], "conflict": [], "rejected": []}
        for path, patch in sorted(patches.items()):
            outcomes[apply(top, prefix, path, patch, work / "patch")].append(path)
    kept = {key: origin.answers[key] for key in FIRST_BAKE_ONLY if key in origin.answers}
    Origin(origin.template, origin.checkout, commit, {**rendered, **kept}).write(project / RECORD)
    git("add", "--", str(RECORD), cwd=project)
    return report(origin, commit, outcomes, notes)


def report(origin: Origin, commit: str, outcomes: dict[str, list[str]], notes: list[str]) -> int:
    say(f"updated from the template at {short(origin.commit)} to {short(commit)}")
    for note in notes:
        say(note)
    if outcomes["merged"]:
        say(f"merged: {', '.join(outcomes['merged'])}")
    if outcomes["conflict"]:
        say(
            f"conflicts, marked in the files (ours is yours, theirs the template's): "
            f"{', '.join(outcomes['conflict'])}; resolve each, then `git add` it"
        )
    if outcomes["rejected"]:
        rejected = ", ".join(f"{path}.rej" for path in outcomes["rejected"])
        say(f"changes that found nothing to apply to, kept for you to apply by hand: {rejected}")
    if any("pyproject.toml" in paths for paths in outcomes.values()):
        say("pyproject.toml changed: run `uv lock` and commit uv.lock with the update")
    say("review with `git status` and `git diff --cached`, then commit")
    return CONFLICTS if outcomes["conflict"] or outcomes["rejected"] else UPDATED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only say whether updates wait")
    parser.add_argument("--strict", action="store_true", help="with --check: exit 3 when behind")
    parser.add_argument("--to", help="a tag, branch or commit of the template (default: newest)")
    parser.add_argument("--answer", action="append", default=[], help="NAME=VALUE: a new answer")
    parser.add_argument(
        "--rename", action="append", default=[], help="OLD=NEW: an option the template renamed"
    )
    parser.add_argument(
        "--drop", action="append", default=[], help="NAME: an option the template removed"
    )
    arguments = parser.parse_args()
    project = Path.cwd()
    try:
        if arguments.check:
            return check(project, strict=arguments.strict)
        return update(
            project,
            arguments.to,
            renames=parse_pairs(arguments.rename, "--rename"),
            drops=arguments.drop,
            given=parse_pairs(arguments.answer, "--answer"),
        )
    except RefusedError as error:
        say(f"not updated: {error}")
        return REFUSED


if __name__ == "__main__":
    sys.exit(main())
