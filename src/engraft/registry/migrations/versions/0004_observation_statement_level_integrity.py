"""observation parents checked per statement on PostgreSQL; byte-order source_id

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:50:00

On PostgreSQL a foreign key is checked by one query per inserted row, which cost more than the
insert itself when lab feeds load observations by the hundred thousand. The two observation
foreign keys are replaced there by triggers with the same meaning, checked once per statement:
after INSERT or UPDATE on observation, every referenced patient and episode must exist (and the
episode must be the patient's), with the parents locked FOR KEY SHARE as a foreign key would;
deleting a patient or an episode deletes its observations (ON DELETE CASCADE), and truncating
either truncates observation (as TRUNCATE ... CASCADE would); changing a referenced key is
refused (NO ACTION). The functions name their tables through a search_path pinned to the schema
the migration ran in, so a caller's own search_path cannot redirect them. A database whose
observations already break the episode-of-the-patient rule is refused before anything changes. ``source_id`` is an opaque identifier, so it is compared
byte by byte (collation "C", as SQLite's BINARY), which also makes its unique index cheaper.
SQLite keeps the declared foreign keys; nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FUNCTIONS = (
    """
CREATE FUNCTION engraft_observation_parents_check() RETURNS trigger LANGUAGE plpgsql SET search_path = {schema} AS $$
DECLARE
    pair_patients integer[];
    pair_episodes integer[];
    bad record;
BEGIN
    SELECT array_agg(d.patient_id), array_agg(d.episode_id) INTO pair_patients, pair_episodes
      FROM (SELECT DISTINCT n.patient_id, n.episode_id FROM new_rows n) d;
    PERFORM 1 FROM patient p WHERE p.id = ANY (pair_patients) ORDER BY p.id FOR KEY SHARE;
    PERFORM 1 FROM transplant_episode e WHERE e.id = ANY (pair_episodes) ORDER BY e.id FOR KEY SHARE;
    SELECT u.patient_id, u.episode_id INTO bad
      FROM unnest(pair_patients, pair_episodes) AS u(patient_id, episode_id)
      LEFT JOIN patient p ON p.id = u.patient_id
      LEFT JOIN transplant_episode e ON e.id = u.episode_id
     WHERE p.id IS NULL OR (u.episode_id IS NOT NULL AND (e.id IS NULL OR e.patient_id <> u.patient_id))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'observation refers to patient % and episode %, which do not exist or do not belong together',
            bad.patient_id, bad.episode_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_parents';
    END IF;
    RETURN NULL;
END $$;
""",
    """
CREATE FUNCTION engraft_observation_parent_deleted() RETURNS trigger LANGUAGE plpgsql SET search_path = {schema} AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- A snapshot older than the statement could miss observations committed meanwhile.
        RAISE EXCEPTION 'deleting % rows needs READ COMMITTED isolation (observations are cascaded by trigger)',
            TG_TABLE_NAME USING ERRCODE = 'feature_not_supported',
            HINT = 'run the delete in a READ COMMITTED transaction; retrying at this isolation level cannot succeed';
    END IF;
    IF TG_TABLE_NAME = 'patient' THEN
        DELETE FROM observation o USING old_rows r WHERE o.patient_id = r.id;
    ELSE
        DELETE FROM observation o USING old_rows r WHERE o.patient_id = r.patient_id AND o.episode_id = r.id;
    END IF;
    RETURN NULL;
END $$;
""",
    """
CREATE FUNCTION engraft_observation_parent_key_changed() RETURNS trigger LANGUAGE plpgsql SET search_path = {schema} AS $$
BEGIN
    IF TG_TABLE_NAME = 'patient' THEN
        IF NEW.id <> OLD.id AND EXISTS (SELECT 1 FROM observation o WHERE o.patient_id = OLD.id) THEN
            RAISE EXCEPTION 'patient % has observations; its id cannot change', OLD.id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_parents';
        END IF;
    ELSIF (NEW.id <> OLD.id OR NEW.patient_id <> OLD.patient_id)
          AND EXISTS (SELECT 1 FROM observation o WHERE o.patient_id = OLD.patient_id AND o.episode_id = OLD.id) THEN
        RAISE EXCEPTION 'transplant episode % has observations; its id and patient cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_parents';
    END IF;
    RETURN NEW;
END $$;
""",
    """
CREATE FUNCTION engraft_observation_parent_truncated() RETURNS trigger LANGUAGE plpgsql SET search_path = {schema} AS $$
BEGIN
    TRUNCATE observation;
    RETURN NULL;
END $$;
""",
)

_TRIGGERS = (
    "CREATE TRIGGER observation_parents_on_insert AFTER INSERT ON observation REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parents_check()",
    "CREATE TRIGGER observation_parents_on_update AFTER UPDATE ON observation REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parents_check()",
    "CREATE TRIGGER observation_cascade_on_delete AFTER DELETE ON patient REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parent_deleted()",
    "CREATE TRIGGER observation_cascade_on_delete AFTER DELETE ON transplant_episode REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parent_deleted()",
    "CREATE TRIGGER observation_key_unchanged BEFORE UPDATE OF id ON patient FOR EACH ROW EXECUTE FUNCTION engraft_observation_parent_key_changed()",
    "CREATE TRIGGER observation_key_unchanged BEFORE UPDATE OF id, patient_id ON transplant_episode FOR EACH ROW EXECUTE FUNCTION engraft_observation_parent_key_changed()",
    "CREATE TRIGGER observation_cascade_on_truncate AFTER TRUNCATE ON patient FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parent_truncated()",
    "CREATE TRIGGER observation_cascade_on_truncate AFTER TRUNCATE ON transplant_episode FOR EACH STATEMENT EXECUTE FUNCTION engraft_observation_parent_truncated()",
)

_DROP = (
    "DROP TRIGGER observation_parents_on_insert ON observation",
    "DROP TRIGGER observation_parents_on_update ON observation",
    "DROP TRIGGER observation_cascade_on_delete ON patient",
    "DROP TRIGGER observation_cascade_on_delete ON transplant_episode",
    "DROP TRIGGER observation_key_unchanged ON patient",
    "DROP TRIGGER observation_key_unchanged ON transplant_episode",
    "DROP TRIGGER observation_cascade_on_truncate ON patient",
    "DROP TRIGGER observation_cascade_on_truncate ON transplant_episode",
    "DROP FUNCTION engraft_observation_parents_check()",
    "DROP FUNCTION engraft_observation_parent_deleted()",
    "DROP FUNCTION engraft_observation_parent_key_changed()",
    "DROP FUNCTION engraft_observation_parent_truncated()",
)


_MISMATCHED = (
    "SELECT count(*) FROM observation o JOIN transplant_episode e ON e.id = o.episode_id "
    "WHERE e.patient_id <> o.patient_id"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    mismatched = bind.exec_driver_sql(_MISMATCHED).scalar_one()
    if mismatched:
        raise RuntimeError(
            f"{mismatched} observation(s) name a transplant episode of another patient; correct their "
            "episode_id (or set it to NULL) before upgrading, so the new integrity rule holds for stored data"
        )
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    op.alter_column(
        "observation", "source_id", type_=sa.String(length=128, collation="C"), existing_type=sa.String(length=128)
    )
    op.drop_constraint("fk_observation_patient_id_patient", "observation", type_="foreignkey")
    op.drop_constraint("fk_observation_episode_id_transplant_episode", "observation", type_="foreignkey")
    for function in _FUNCTIONS:
        op.execute(function.replace("{schema}", schema))
    for trigger in _TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DROP:
        op.execute(statement)
    op.create_foreign_key(
        "fk_observation_episode_id_transplant_episode",
        "observation",
        "transplant_episode",
        ["episode_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_observation_patient_id_patient", "observation", "patient", ["patient_id"], ["id"], ondelete="CASCADE"
    )
    op.alter_column(
        "observation", "source_id", type_=sa.String(length=128), existing_type=sa.String(length=128, collation="C")
    )
