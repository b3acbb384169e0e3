"""watch_hit: potential matches raised by a new list snapshot on approved and pending proposals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('watch_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('entry_uid', sa.String(length=120), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('list_source', sa.String(length=200), nullable=False),
    sa.Column('matched_name', sa.String(length=400), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_watch_hit_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['list_snapshot.id'], name=op.f('fk_watch_hit_snapshot_id_list_snapshot'), ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_hit'))
    )
    with op.batch_alter_table('watch_hit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_hit_proposal_id'), ['proposal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('watch_hit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_hit_proposal_id'))
    op.drop_table('watch_hit')
