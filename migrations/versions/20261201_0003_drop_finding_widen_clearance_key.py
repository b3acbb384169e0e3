"""drop the finding table (findings live in the result JSON; the rows were never read); full-length clearance keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_item_id'))
        batch_op.drop_index(batch_op.f('ix_finding_assessment_id'))
    op.drop_table('finding')
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.alter_column('query_key', type_=sa.String(length=1000), existing_type=sa.String(length=200))


def downgrade() -> None:
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.alter_column('query_key', type_=sa.String(length=200), existing_type=sa.String(length=1000))
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('effect', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_finding_assessment_id_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_item_id'), ['item_id'], unique=False)
