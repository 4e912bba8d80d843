"""query log, feedback and reload history

Revision ID: 0001_query_log
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_query_log"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("exchange_id", sa.String(64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("passages", sa.JSON(), nullable=False),
        sa.Column("best_text", sa.Text(), nullable=False),
        sa.Column("reply_length", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
    )
    op.create_index("ix_exchanges_exchange_id", "exchanges", ["exchange_id"], unique=True)
    op.create_index("ix_exchanges_time", "exchanges", ["time"])
    op.create_index("ix_exchanges_channel", "exchanges", ["channel"])
    op.create_index("ix_exchanges_answered", "exchanges", ["answered"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("exchange_id", sa.String(64), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_exchange_id", "feedback", ["exchange_id"])
    op.create_index("ix_feedback_time", "feedback", ["time"])

    op.create_table(
        "reloads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(128), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
    )
    op.create_index("ix_reloads_time", "reloads", ["time"])


def downgrade() -> None:
    op.drop_index("ix_reloads_time", table_name="reloads")
    op.drop_table("reloads")
    op.drop_index("ix_feedback_time", table_name="feedback")
    op.drop_index("ix_feedback_exchange_id", table_name="feedback")
    op.drop_table("feedback")
    for name in ("answered", "channel", "time", "exchange_id"):
        op.drop_index(f"ix_exchanges_{name}", table_name="exchanges")
    op.drop_table("exchanges")
