"""Votes and assemblies: vote items with options and tiers, the frozen electorate, participation
(unique per vote and member), ballots (secret ones without member or time), paper slips for double
entry; assemblies with agenda, documents, attendance and proxies.

Revision ID: 6a1e0c4d7f01
Revises: 5b0d9e7a1c02
Create Date: 2026-11-27 14:21:53.966680

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1e0c4d7f01'
down_revision = '5b0d9e7a1c02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), server_default='', nullable=False),
    sa.Column('online_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('planned', 'open', 'closed', name='assemblystatus', native_enum=False, length=20), nullable=False),
    sa.Column('quorum', sa.String(length=20), server_default='1/2', nullable=False),
    sa.Column('max_proxies', sa.Integer(), server_default='1', nullable=False),
    sa.Column('total_weight', sa.Integer(), server_default='0', nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('minutes_adopted_at', sa.DateTime(), nullable=True),
    sa.Column('minutes_adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('max_proxies >= 0', name=op.f('ck_assembly_max_proxies_not_negative')),
    sa.ForeignKeyConstraint(['minutes_adopted_by_id'], ['account.id'], name=op.f('fk_assembly_minutes_adopted_by_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly'))
    )
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_status'), ['status'], unique=False)

    op.create_table('assembly_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_document_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_document'))
    )
    with op.batch_alter_table('assembly_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_document_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_attendance_account_id_account')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_attendance_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_attendance_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('assembly_id', 'member_id', name=op.f('uq_attendance_assembly_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_member_id'), ['member_id'], unique=False)

    op.create_table('proxy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('grantor_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('grantor_id <> holder_id', name=op.f('ck_proxy_not_to_self')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_proxy_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_proxy_created_by_id_account')),
    sa.ForeignKeyConstraint(['grantor_id'], ['member.id'], name=op.f('fk_proxy_grantor_id_member')),
    sa.ForeignKeyConstraint(['holder_id'], ['member.id'], name=op.f('fk_proxy_holder_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy'))
    )
    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxy_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proxy_grantor_id'), ['grantor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proxy_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index('uq_proxy_live', ['assembly_id', 'grantor_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('vote_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('budget', 'motion', 'election', name='votekind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='votestatus', native_enum=False, length=20), nullable=False),
    sa.Column('secret', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('results_hidden', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('assembly_id', sa.Integer(), nullable=True),
    sa.Column('opens_at', sa.DateTime(), nullable=True),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=20), server_default='majority', nullable=False),
    sa.Column('abstentions', sa.String(length=20), server_default='excluded', nullable=False),
    sa.Column('quorum', sa.String(length=20), nullable=True),
    sa.Column('ranks', sa.Integer(), nullable=False),
    sa.Column('exclude_own', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('tie_break_seed', sa.String(length=64), nullable=True),
    sa.Column('electorate_digest', sa.String(length=64), nullable=True),
    sa.Column('electorate_count', sa.Integer(), nullable=False),
    sa.Column('electorate_weight', sa.Integer(), nullable=False),
    sa.Column('participation_count', sa.Integer(), nullable=False),
    sa.Column('ballot_count', sa.Integer(), nullable=False),
    sa.Column('ballot_box_root', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.LargeBinary(), nullable=True),
    sa.Column('count_document', sa.LargeBinary(), nullable=True),
    sa.Column('comparison', sa.LargeBinary(), nullable=True),
    sa.Column('winners', sa.JSON(), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=True),
    sa.Column('quorum_result', sa.JSON(), nullable=True),
    sa.Column('closed_seq', sa.BigInteger(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ranks >= 0', name=op.f('ck_vote_item_ranks_not_negative')),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_vote_item_seats_positive')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_vote_item_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_vote_item_created_by_id_account')),
    sa.ForeignKeyConstraint(['round_id'], ['budget_round.id'], name=op.f('fk_vote_item_round_id_budget_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_item'))
    )
    with op.batch_alter_table('vote_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_item_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_item_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_item_status'), ['status'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.Column('has_thread', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_agenda_item_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_agenda_item_vote_id_vote_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item'))
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('tracker', sa.String(length=24), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('cast_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(member_id IS NULL) = (cast_at IS NULL)', name=op.f('ck_ballot_identity_and_time_together')),
    sa.CheckConstraint('weight >= 1', name=op.f('ck_ballot_weight_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_ballot_member_id_member')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_ballot_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('vote_id', 'tracker', name=op.f('uq_ballot_vote_id'))
    )
    op.create_table('elector',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_elector_member_id_member')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_elector_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'member_id', name=op.f('pk_elector'))
    )
    op.create_table('paper_slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('teller_id', sa.Integer(), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_paper_slip_number_positive')),
    sa.CheckConstraint('weight >= 1', name=op.f('ck_paper_slip_weight_positive')),
    sa.ForeignKeyConstraint(['teller_id'], ['account.id'], name=op.f('fk_paper_slip_teller_id_account')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_paper_slip_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_slip')),
    sa.UniqueConstraint('vote_id', 'number', 'teller_id', name=op.f('uq_paper_slip_vote_id'))
    )
    with op.batch_alter_table('paper_slip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_slip_vote_id'), ['vote_id'], unique=False)

    op.create_table('participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('online', 'proxy', 'paper', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_participation_account_id_account')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_participation_member_id_member')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_participation_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation')),
    sa.UniqueConstraint('vote_id', 'member_id', name='uq_participation_one_per_member')
    )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_member_id'), ['member_id'], unique=False)

    op.create_table('vote_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('cost_cents', sa.BigInteger(), nullable=True),
    sa.Column('neighbourhood', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_vote_option_member_id_member')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_vote_option_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_vote_option_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_option')),
    sa.UniqueConstraint('vote_id', 'key', name=op.f('uq_vote_option_vote_id'))
    )
    with op.batch_alter_table('vote_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_option_vote_id'), ['vote_id'], unique=False)

    op.create_table('vote_tier',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.CheckConstraint('weight >= 1', name=op.f('ck_vote_tier_weight_positive')),
    sa.ForeignKeyConstraint(['tier_id'], ['tier.id'], name=op.f('fk_vote_tier_tier_id_tier')),
    sa.ForeignKeyConstraint(['vote_id'], ['vote_item.id'], name=op.f('fk_vote_tier_vote_id_vote_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'tier_id', name=op.f('pk_vote_tier'))
    )


def downgrade():
    op.drop_table('vote_tier')
    with op.batch_alter_table('vote_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_option_vote_id'))

    op.drop_table('vote_option')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_member_id'))

    op.drop_table('participation')
    with op.batch_alter_table('paper_slip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_slip_vote_id'))

    op.drop_table('paper_slip')
    op.drop_table('elector')
    op.drop_table('ballot')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_assembly_id'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('vote_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_item_status'))
        batch_op.drop_index(batch_op.f('ix_vote_item_round_id'))
        batch_op.drop_index(batch_op.f('ix_vote_item_assembly_id'))

    op.drop_table('vote_item')
    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.drop_index('uq_proxy_live', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_proxy_holder_id'))
        batch_op.drop_index(batch_op.f('ix_proxy_grantor_id'))
        batch_op.drop_index(batch_op.f('ix_proxy_assembly_id'))

    op.drop_table('proxy')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_member_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('assembly_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_document_assembly_id'))

    op.drop_table('assembly_document')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_status'))

    op.drop_table('assembly')
