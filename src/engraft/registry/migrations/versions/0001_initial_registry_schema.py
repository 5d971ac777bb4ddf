"""initial registry schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 00:49:15.866106
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "update",
                "bulk insert",
                "import",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column(
            "changes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)

    op.create_table(
        "centre",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre")),
        sa.UniqueConstraint("code", name=op.f("uq_centre_code")),
    )
    op.create_table(
        "donor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_code", sa.String(length=64), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "autologous",
                "matched sibling",
                "haploidentical",
                "other related",
                "matched unrelated",
                "mismatched unrelated",
                "cord blood unit",
                name="donor_relation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("age_years", sa.Integer(), nullable=True),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "other", "unknown", name="sex", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column(
            "abo",
            sa.Enum("A", "B", "AB", "O", name="abo_group", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column(
            "rh", sa.Enum("positive", "negative", name="rhd", native_enum=False, create_constraint=True), nullable=True
        ),
        sa.Column(
            "cmv_serostatus",
            sa.Enum(
                "positive",
                "negative",
                "equivocal",
                "unknown",
                name="serostatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("hla_gl_string", sa.Text(), nullable=True),
        sa.Column(
            "eligibility",
            sa.Enum(
                "pending",
                "eligible",
                "not eligible",
                "eligible with documented urgent medical need",
                name="donor_eligibility",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("age_years IS NULL OR (age_years >= 0 AND age_years < 100)", name=op.f("ck_donor_age")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor")),
        sa.UniqueConstraint("donor_code", name=op.f("uq_donor_donor_code")),
    )
    op.create_table(
        "donor_marker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column(
            "test",
            sa.Enum(
                "HIV-1/2 antibody",
                "HIV-1 NAT",
                "HBsAg",
                "anti-HBc",
                "HBV NAT",
                "HCV antibody",
                "HCV NAT",
                "HTLV-I/II antibody",
                "syphilis",
                "CMV antibody",
                "WNV NAT",
                "Trypanosoma cruzi",
                name="marker_test",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.Enum(
                "reactive",
                "non-reactive",
                "indeterminate",
                name="marker_result",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("result_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donor.id"], name=op.f("fk_donor_marker_donor_id_donor"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_marker")),
    )
    with op.batch_alter_table("donor_marker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_marker_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "other", "unknown", name="sex", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "abo",
            sa.Enum("A", "B", "AB", "O", name="abo_group", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column(
            "rh", sa.Enum("positive", "negative", name="rhd", native_enum=False, create_constraint=True), nullable=True
        ),
        sa.Column(
            "cmv_serostatus",
            sa.Enum(
                "positive",
                "negative",
                "equivocal",
                "unknown",
                name="serostatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "height_cm IS NULL OR (height_cm > 0 AND height_cm < 260)", name=op.f("ck_patient_height_range")
        ),
        sa.CheckConstraint(
            "weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 400)", name=op.f("ck_patient_weight_range")
        ),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_patient_centre_id_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("registry_id", name=op.f("uq_patient_registry_id")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "diagnosis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("who_name", sa.String(length=300), nullable=False),
        sa.Column("icd10", sa.String(length=8), nullable=False),
        sa.Column("diagnosis_date", sa.Date(), nullable=False),
        sa.Column(
            "status_at_transplant",
            sa.Enum(
                "CR1",
                "CR2",
                "CR3+",
                "PR",
                "stable disease",
                "relapse",
                "primary refractory",
                "untreated",
                "chronic phase",
                "accelerated phase",
                "blast phase",
                "not applicable",
                name="disease_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_diagnosis_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnosis")),
    )
    with op.batch_alter_table("diagnosis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnosis_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "patient_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("mrn", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_patient_identity_centre_id_centre")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_identity_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_identity")),
        sa.UniqueConstraint("centre_id", "mrn", name=op.f("uq_patient_identity_centre_id_mrn")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_patient_identity_patient_id")),
    )
    op.create_table(
        "transplant_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_id", sa.Integer(), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column(
            "transplant_type",
            sa.Enum("autologous", "allogeneic", name="transplant_type", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "graft_source",
            sa.Enum(
                "bone marrow",
                "peripheral blood",
                "cord blood",
                name="graft_source",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("day0", sa.Date(), nullable=False),
        sa.Column("tbi_dose_gy", sa.Float(), nullable=True),
        sa.Column("tbi_fractions", sa.Integer(), nullable=True),
        sa.Column(
            "gvhd_prophylaxis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("cd34_per_kg", sa.Float(), nullable=True, comment="CD34+ cells x10^6/kg recipient weight"),
        sa.Column("tnc_per_kg", sa.Float(), nullable=True, comment="total nucleated cells per kg, see tnc_unit"),
        sa.Column("tnc_unit", sa.String(length=16), nullable=True, comment="10*8/kg, or 10*7/kg for cord blood"),
        sa.Column("viability_pct", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cd34_per_kg IS NULL OR cd34_per_kg >= 0", name=op.f("ck_transplant_episode_cd34")),
        sa.CheckConstraint("sequence_number >= 1", name=op.f("ck_transplant_episode_sequence_number")),
        sa.CheckConstraint(
            "tbi_dose_gy IS NULL OR (tbi_dose_gy >= 0 AND tbi_dose_gy <= 20)",
            name=op.f("ck_transplant_episode_tbi_dose"),
        ),
        sa.CheckConstraint(
            "tbi_fractions IS NULL OR tbi_fractions >= 1", name=op.f("ck_transplant_episode_tbi_fractions")
        ),
        sa.CheckConstraint("tnc_per_kg IS NULL OR tnc_per_kg >= 0", name=op.f("ck_transplant_episode_tnc")),
        sa.CheckConstraint(
            "viability_pct IS NULL OR (viability_pct >= 0 AND viability_pct <= 100)",
            name=op.f("ck_transplant_episode_viab"),
        ),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_transplant_episode_centre_id_centre")),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"], ["diagnosis.id"], name=op.f("fk_transplant_episode_diagnosis_id_diagnosis")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_transplant_episode_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transplant_episode")),
        sa.UniqueConstraint(
            "patient_id", "sequence_number", name=op.f("uq_transplant_episode_patient_id_sequence_number")
        ),
    )
    with op.batch_alter_table("transplant_episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transplant_episode_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transplant_episode_day0"), ["day0"], unique=False)
        batch_op.create_index(batch_op.f("ix_transplant_episode_diagnosis_id"), ["diagnosis_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transplant_episode_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.String(length=64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=120), nullable=True),
        sa.Column(
            "inputs", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_assessment_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_assessment_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "clinical_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column(
            "event_type",
            sa.Enum(
                "neutrophil engraftment",
                "platelet engraftment",
                "acute GVHD",
                "chronic GVHD",
                "infection",
                "SOS/VOD",
                "CRS",
                "ICANS",
                "graft failure",
                "relapse",
                "progression",
                "second malignancy",
                "death",
                name="event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "manual", "derived", "registry import", name="event_source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_clinical_event_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_clinical_event_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_event")),
    )
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clinical_event_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clinical_event_event_type"), ["event_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_clinical_event_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "conditioning_agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(length=80), nullable=False),
        sa.Column("total_dose", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.CheckConstraint("total_dose > 0", name=op.f("ck_conditioning_agent_total_dose")),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_conditioning_agent_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditioning_agent")),
    )
    with op.batch_alter_table("conditioning_agent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conditioning_agent_episode_id"), ["episode_id"], unique=False)

    op.create_table(
        "episode_donor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"], name=op.f("fk_episode_donor_donor_id_donor")),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_episode_donor_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_donor")),
        sa.UniqueConstraint("episode_id", "donor_id", name=op.f("uq_episode_donor_episode_id_donor_id")),
    )
    with op.batch_alter_table("episode_donor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_episode_donor_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_episode_donor_episode_id"), ["episode_id"], unique=False)

    op.create_table(
        "follow_up_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column(
            "vital_status",
            sa.Enum("alive", "dead", name="vital_status", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "performance_scale",
            sa.Enum("karnofsky", "lansky", name="performance_scale", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("performance_score", sa.Integer(), nullable=True),
        sa.Column(
            "disease_status",
            sa.Enum(
                "CR1",
                "CR2",
                "CR3+",
                "PR",
                "stable disease",
                "relapse",
                "primary refractory",
                "untreated",
                "chronic phase",
                "accelerated phase",
                "blast phase",
                "not applicable",
                name="disease_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "performance_score IS NULL OR (performance_score >= 0 AND performance_score <= 100)",
            name=op.f("ck_follow_up_visit_performance_score"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_follow_up_visit_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_follow_up_visit_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_visit")),
    )
    with op.batch_alter_table("follow_up_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_visit_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_visit_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loinc", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("value_canonical", sa.Float(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "manual", "lab feed", "device", name="observation_source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_observation_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_observation_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sa.UniqueConstraint("source_id", name=op.f("uq_observation_source_id")),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index("ix_observation_patient_time", ["patient_id", "observed_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_patient_time")

    op.drop_table("observation")
    with op.batch_alter_table("follow_up_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_visit_patient_id"))
        batch_op.drop_index(batch_op.f("ix_follow_up_visit_episode_id"))

    op.drop_table("follow_up_visit")
    with op.batch_alter_table("episode_donor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episode_donor_episode_id"))
        batch_op.drop_index(batch_op.f("ix_episode_donor_donor_id"))

    op.drop_table("episode_donor")
    with op.batch_alter_table("conditioning_agent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conditioning_agent_episode_id"))

    op.drop_table("conditioning_agent")
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_event_patient_id"))
        batch_op.drop_index(batch_op.f("ix_clinical_event_event_type"))
        batch_op.drop_index(batch_op.f("ix_clinical_event_episode_id"))

    op.drop_table("clinical_event")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_patient_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_episode_id"))

    op.drop_table("assessment")
    with op.batch_alter_table("transplant_episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transplant_episode_patient_id"))
        batch_op.drop_index(batch_op.f("ix_transplant_episode_diagnosis_id"))
        batch_op.drop_index(batch_op.f("ix_transplant_episode_day0"))
        batch_op.drop_index(batch_op.f("ix_transplant_episode_centre_id"))

    op.drop_table("transplant_episode")
    op.drop_table("patient_identity")
    with op.batch_alter_table("diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnosis_patient_id"))

    op.drop_table("diagnosis")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_centre_id"))

    op.drop_table("patient")
    with op.batch_alter_table("donor_marker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_marker_donor_id"))

    op.drop_table("donor_marker")
    op.drop_table("donor")
    op.drop_table("centre")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
