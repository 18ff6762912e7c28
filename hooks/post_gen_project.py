"""Remove the files that the chosen options do not need, so what remains reads as hand-written."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# Rendered by cookiecutter; JSON escapes every quote, so no answer can break out of the string.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PACKAGE = Path("src") / ANSWERS["package_name"]
DATABASE = ANSWERS["database"]
DATABASES_WITH_VARIANTS = ("sqlite", "postgresql")

# Paths that belong to one option value: they stay only when that value was chosen.
DATABASE_FILES = [
    PACKAGE / "infra" / "database.py",
    PACKAGE / "infra" / "orm.py",
    PACKAGE / "items",
    PACKAGE / "migrations",
    Path("tests") / "test_items.py",
    Path("tests") / "test_migrations.py",
    Path("tests") / "test_readiness_database.py",
]
POSTGRESQL_FILES = [
    Path("compose.yaml"),
    Path("tests") / "test_postgresql.py",
]
# Files written once per database, as `<stem>_<database>.py`: the chosen one takes the plain name.
VARIANT_FILES = [
    Path("tests") / "database.py",
]


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def choose_variant(path: Path) -> None:
    for database in DATABASES_WITH_VARIANTS:
        variant = path.with_stem(f"{path.stem}_{database}")
        if database == DATABASE:
            variant.rename(path)
        else:
            remove(variant)


def main() -> int:
    for path in VARIANT_FILES:
        choose_variant(path)
    if DATABASE == "none":
        for path in DATABASE_FILES:
            remove(path)
    if DATABASE != "postgresql":
        for path in POSTGRESQL_FILES:
            remove(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
