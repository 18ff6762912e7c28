{% set previous = "0002" if cookiecutter.broker != "none" else "0001" -%}
"""Add the quote the enrichment job stores with each item.

Revision ID: 0003
Revises: {{ previous }}
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "{{ previous }}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row and holds no long lock.
    op.add_column("items", sa.Column("quote", sa.String(length=2300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("quote")
