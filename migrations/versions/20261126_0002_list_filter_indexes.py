"""list filter indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:12:17.852286
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_country_updated', ['partner_country', 'updated_at'], unique=False)
        batch_op.create_index('ix_proposal_state_updated', ['city_state', 'updated_at'], unique=False)
        batch_op.create_index('ix_proposal_type_updated', ['agreement_type', 'updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_type_updated')
        batch_op.drop_index('ix_proposal_state_updated')
        batch_op.drop_index('ix_proposal_country_updated')

