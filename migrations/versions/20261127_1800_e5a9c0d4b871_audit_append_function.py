"""The record's append in one statement on PostgreSQL: govern_audit_append() takes the append
lock, reads the head, builds and hashes the entry around the canonical parts the application
sends, and inserts it. The lock is then held for one statement and the COMMIT, not for three
round trips and the COMMIT. SQLite is unchanged (the application appends there).

Revision ID: e5a9c0d4b871
Revises: 7c3f5a2e9b10
Create Date: 2026-11-27 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a9c0d4b871'
down_revision = '7c3f5a2e9b10'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

# The body's keys in canonical (JCS) order are actor, data, prev, seq, subject, ts, type, v.
# The application encodes everything but prev, seq and ts (govern.audit.log.body_parts):
#   before_prev = {"actor":…,"data":…,"prev":"      before_ts = ,"subject":…,"ts":"
#   after_ts = ","type":…,"v":1}
# A VOLATILE function takes a new snapshot for each statement in it, so under READ COMMITTED
# the head read after the lock sees every append committed before the lock was granted.
# (Colons before MI and SS are escaped for SQLAlchemy's text(); PostgreSQL sees HH24:MI:SS.)
APPEND = rf"""CREATE FUNCTION govern_audit_append(
    p_lock bigint, p_before_prev bytea, p_before_ts bytea, p_after_ts bytea,
    p_now timestamp, p_actor text, p_type text, p_subject text)
RETURNS TABLE (o_seq bigint, o_prev text, o_ts timestamp, o_body bytea, o_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE head_seq bigint; head_hash text; head_ts timestamp;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock);
  SELECT e.seq, e.hash, e.ts INTO head_seq, head_hash, head_ts FROM audit_entry e ORDER BY e.seq DESC LIMIT 1;
  o_seq := COALESCE(head_seq, 0) + 1;
  o_prev := COALESCE(head_hash, '{GENESIS}');
  o_ts := GREATEST(p_now, head_ts);
  o_body := p_before_prev || convert_to(o_prev || '","seq":' || o_seq::text, 'UTF8') || p_before_ts
            || convert_to(to_char(o_ts, 'YYYY-MM-DD"T"HH24\:MI\:SS.US"Z"'), 'UTF8') || p_after_ts;
  o_hash := encode(sha256('\x00'::bytea || o_body), 'hex');
  INSERT INTO audit_entry (seq, body, hash, prev, ts, actor, type, subject)
  VALUES (o_seq, o_body, o_hash, o_prev, o_ts, p_actor, p_type, p_subject);
  RETURN NEXT;
END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(APPEND))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS govern_audit_append(bigint, bytea, bytea, bytea, timestamp, text, text, text)")
