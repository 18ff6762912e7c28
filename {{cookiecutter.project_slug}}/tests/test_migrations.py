from pathlib import Path

from alembic import command

from tests.database import alembic_config


def test_migrations_match_the_models(migrated_database: Path) -> None:
    """A model changed without a migration fails here, not in production."""
    command.check(alembic_config(f"sqlite+aiosqlite:///{migrated_database}"))


def test_migrations_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
