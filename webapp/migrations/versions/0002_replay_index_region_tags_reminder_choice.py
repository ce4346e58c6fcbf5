"""TOTP replay guard, a course's index region, patient tags, the patient's reminder choice

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('treatment_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_region_code', sa.String(length=64), nullable=True))
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('reminders_paused_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminders_stopped_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('reminders_stopped_at')
        batch_op.drop_column('reminders_paused_until')
        batch_op.drop_column('tags')
    with op.batch_alter_table('treatment_course', schema=None) as batch_op:
        batch_op.drop_column('index_region_code')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
