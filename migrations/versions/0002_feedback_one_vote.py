"""feedback: one vote per user and exchange

Revision ID: 0002_feedback_one_vote
Revises: 0001_query_log
Create Date: 2026-11-24 00:00:00

Repeated votes of one user on one exchange are reduced to the latest, then a unique index on
(exchange_id, user_id) keeps it that way; ``bot.storage.votes`` writes a changed vote over the
earlier one (INSERT … ON CONFLICT DO UPDATE). The downgrade drops the index; removed duplicates
stay removed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_feedback_one_vote"
down_revision: str | None = "0001_query_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_feedback_exchange_user"


def upgrade() -> None:
    op.execute(sa.text(
        "DELETE FROM feedback WHERE id NOT IN "
        "(SELECT latest FROM (SELECT MAX(id) AS latest FROM feedback GROUP BY exchange_id, user_id) AS kept)"
    ))  # fmt: skip
    op.create_index(INDEX, "feedback", ["exchange_id", "user_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="feedback")
