"""Each running job's holder (the server running it) and lease (until when that hold lasts
unless renewed), so several servers can share one database.

Existing jobs keep every value; their holder and lease are empty, so a job an old server left
running counts as lapsed and the first server to sweep re-queues it.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("holder", sa.String(200), nullable=True))
        jobs.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("lease_until")
        jobs.drop_column("holder")
