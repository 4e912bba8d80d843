"""state several workers share: conversation state per chat, WeChat's answered-once replies and
outbox, per-user rate limits

Revision ID: 0005_shared_state
Revises: 0004_console
Create Date: 2026-12-02 07:00:00

- ``chat_states``: a conversation's state as JSON per (channel, hashed chat id), with its expiry.
- ``once_replies``: a WeChat message claimed by the worker answering it, then its reply: a retry
  reaching another worker gets that reply instead of a second answer.
- ``outbox``: per hashed WeChat user, what the next "更多" delivers (pending while computing).
- ``rate_limits``: per hashed user, the accepted messages' times in the window.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_shared_state"
down_revision: str | None = "0004_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_states",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("chat_id", sa.String(128), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("expires", TIME, nullable=False, index=True),
    )
    op.create_table(
        "once_replies",
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("expires", TIME, nullable=False, index=True),
    )
    op.create_table(
        "outbox",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.Column("expires", TIME, nullable=False, index=True),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("outbox")
    op.drop_table("once_replies")
    op.drop_table("chat_states")
