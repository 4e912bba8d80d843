"""exchanges: why a question was declined

Revision ID: 0003_exchange_reason
Revises: 0002_feedback_one_vote
Create Date: 2026-12-02 00:00:00

A ``reason`` text column ("weak match (…)", "unknown name: 青岛市", "wrong place: 天桥", …) for
the review queue. Rows logged before it get "" (no reason known). The downgrade drops the column
(batch mode, so SQLite copies the table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_exchange_reason"
down_revision: str | None = "0002_feedback_one_vote"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("exchanges", sa.Column("reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("exchanges") as batch:
        batch.drop_column("reason")
