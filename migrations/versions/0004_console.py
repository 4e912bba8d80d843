"""the admin console: reply text, confidence and traffic source per exchange; review marks,
answer corrections and the corpus generation every running process watches

Revision ID: 0004_console
Revises: 0003_exchange_reason
Create Date: 2026-12-02 06:00:00

- ``exchanges.reply``: the reply as the user read it (plain text); ``exchanges.confidence``: the
  answer decision's score for the passage it judged; ``exchanges.source``: "user" for real traffic,
  "ask"/"eval" for the admin's batch runs (stats leave them out). Older rows: "", 0, "user".
- ``review_marks``: a review-queue question (by its folded key) marked handled.
- ``corrections``: an admin's "answer this question with that passage" (by folded key and text).
- ``corpus_generation``: one row whose ``value`` goes up at every successful reload; every running
  process polls it and rebuilds when it is ahead of the index it answers from.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_console"
down_revision: str | None = "0003_exchange_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("exchanges", sa.Column("reply", sa.Text(), nullable=False, server_default=""))
    op.add_column("exchanges", sa.Column("confidence", sa.Float(), nullable=False, server_default="0"))
    op.add_column("exchanges", sa.Column("source", sa.String(16), nullable=False, server_default="user"))
    op.create_index("ix_exchanges_source", "exchanges", ["source"])
    op.create_table(
        "review_marks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(512), nullable=False, unique=True),
        sa.Column("question", sa.Text(), nullable=False, server_default=""),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("who", sa.String(128), nullable=False, server_default=""),
        sa.Column("time", TIME, nullable=False),
    )
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(512), nullable=False, index=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("article", sa.String(256), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("who", sa.String(128), nullable=False, server_default=""),
        sa.Column("time", TIME, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "corpus_generation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False, server_default=""),
        sa.Column("time", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("corpus_generation")
    op.drop_table("corrections")
    op.drop_table("review_marks")
    op.drop_index("ix_exchanges_source", table_name="exchanges")
    with op.batch_alter_table("exchanges") as batch:
        batch.drop_column("source")
        batch.drop_column("confidence")
        batch.drop_column("reply")
