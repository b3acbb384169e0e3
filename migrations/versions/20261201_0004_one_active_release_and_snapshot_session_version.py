"""one active checklist release and one active list snapshot per kind (partial unique indexes); user session version

Databases written before this revision may hold several active rows (concurrent publishes or
imports on PostgreSQL): the newest stays active, as ``active_release()`` already chose it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE checklist_release SET active = false WHERE active AND id <> "
               "(SELECT max(id) FROM checklist_release WHERE active)")
    op.execute("UPDATE list_snapshot SET active = false WHERE active AND id <> "
               "(SELECT max(newer.id) FROM list_snapshot AS newer WHERE newer.active "
               "AND newer.format = list_snapshot.format)")
    op.create_index('uq_checklist_release_one_active', 'checklist_release', ['active'], unique=True,
                    postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    op.create_index('uq_list_snapshot_one_active_per_format', 'list_snapshot', ['format'], unique=True,
                    postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    op.drop_index('uq_list_snapshot_one_active_per_format', table_name='list_snapshot')
    op.drop_index('uq_checklist_release_one_active', table_name='checklist_release')
