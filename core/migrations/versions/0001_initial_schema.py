"""Initial schema: tenants, organisations, cycles with frozen schemes, facts, results, audit.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 11:24:16.667823
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('scheme_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scheme_plugin', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('scheme', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'year')
    )
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secretary', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('secretary_term_start', sa.Date(), nullable=True),
    sa.Column('secretary_term_end', sa.Date(), nullable=True),
    sa.Column('first_secretary', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('staff_count', sa.Integer(), nullable=False),
    sa.Column('party_staff_count', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'code')
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organization_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tenantplugin',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('plugin', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('enabled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'plugin')
    )
    op.create_table('check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('inspector', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('scheme_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('base_points', sa.Float(), nullable=False),
    sa.Column('bonus_points', sa.Float(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('vetoed', sa.Boolean(), nullable=False),
    sa.Column('veto_reasons', sa.JSON(), nullable=False),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('advanced_eligible', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'period', 'org_id')
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('block_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('block_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'code')
    )
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('ledgerentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledgerentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledgerentry_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_ledgerentry_tenant_date', ['tenant_id', 'date'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rater', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_rating_tenant_date', ['tenant_id', 'date'], unique=False)

    op.create_table('reviewcomment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('achievements', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('problems', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviewcomment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewcomment_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewcomment_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewcomment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('evaluationline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('max_points', sa.Float(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluationline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluationline_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['check.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_check_id'), ['check_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_finding_tenant_date', ['tenant_id', 'date'], unique=False)

    op.create_table('incentive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('effect', sa.JSON(), nullable=False),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incentive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incentive_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incentive_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledgerentry.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_ledger_entry_id'), ['ledger_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('rectification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('notice_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requirement', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issued_at', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('response', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verifier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('verification_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_org_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_cycle_id'))

    op.drop_table('rectification')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_ledger_entry_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_finding_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_target_cycle_id'))

    op.drop_table('target')
    with op.batch_alter_table('incentive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_incentive_org_id'))
        batch_op.drop_index(batch_op.f('ix_incentive_cycle_id'))

    op.drop_table('incentive')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_tenant_date')
        batch_op.drop_index(batch_op.f('ix_finding_org_id'))
        batch_op.drop_index(batch_op.f('ix_finding_check_id'))

    op.drop_table('finding')
    with op.batch_alter_table('evaluationline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluationline_evaluation_id'))

    op.drop_table('evaluationline')
    with op.batch_alter_table('reviewcomment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewcomment_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_reviewcomment_org_id'))
        batch_op.drop_index(batch_op.f('ix_reviewcomment_cycle_id'))

    op.drop_table('reviewcomment')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_tenant_date')
        batch_op.drop_index(batch_op.f('ix_rating_org_id'))

    op.drop_table('rating')
    with op.batch_alter_table('ledgerentry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledgerentry_tenant_date')
        batch_op.drop_index(batch_op.f('ix_ledgerentry_org_id'))

    op.drop_table('ledgerentry')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_cycle_id'))

    op.drop_table('indicator')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_org_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_cycle_id'))

    op.drop_table('evaluation')
    with op.batch_alter_table('check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_check_org_id'))
        batch_op.drop_index(batch_op.f('ix_check_cycle_id'))

    op.drop_table('check')
    op.drop_table('tenantplugin')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_organization_parent_id'))

    op.drop_table('organization')
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_tenant_id'))

    op.drop_table('cycle')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_tenant_id'))

    op.drop_table('auditevent')
    op.drop_table('tenant')
