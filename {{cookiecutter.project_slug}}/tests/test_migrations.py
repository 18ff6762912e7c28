from alembic import command

from tests.database import alembic_config


def test_migrations_match_the_models(migrated_database_url: str) -> None:
    """A model changed without a migration fails here, not in production."""
    command.check(alembic_config(migrated_database_url))


def test_migrations_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
