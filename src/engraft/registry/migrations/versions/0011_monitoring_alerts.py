"""monitoring: rule-file versions in force, and the alerts the rules raised

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:05:00

An alert is unique per (episode, dedup key): one alert for each occurrence of a condition.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_KINDS = (
    "neutrophil engraftment",
    "platelet engraftment",
    "no engraftment by day",
    "threshold",
    "rise from baseline",
    "febrile neutropenia",
)
_SEVERITIES = ("info", "warning", "critical")
_STATES = ("open", "acknowledged", "resolved")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=max(map(len, values)), create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "monitoring_rule_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("default_text", sa.Text(), nullable=False),
        sa.Column("centre_text", sa.Text(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_rule_file")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_monitoring_rule_file_content_hash")),
    )
    op.create_index(op.f("ix_monitoring_rule_file_loaded_at"), "monitoring_rule_file", ["loaded_at"], unique=False)
    op.create_table(
        "monitoring_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("rule_file_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(_KINDS, "monitoring_rule_kind"), nullable=False),
        sa.Column("severity", _enum(_SEVERITIES, "alert_severity"), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("triggering_observation_ids", _JSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("state", _enum(_STATES, "alert_state"), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'open') OR (state = 'acknowledged' AND acknowledged_at IS NOT NULL) "
            "OR (state = 'resolved' AND resolved_at IS NOT NULL)",
            name=op.f("ck_monitoring_alert_state_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_monitoring_alert_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["clinical_event.id"],
            name=op.f("fk_monitoring_alert_event_id_clinical_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_monitoring_alert_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rule_file_id"],
            ["monitoring_rule_file.id"],
            name=op.f("fk_monitoring_alert_rule_file_id_monitoring_rule_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alert")),
        sa.UniqueConstraint("episode_id", "dedup_key", name=op.f("uq_monitoring_alert_episode_id_dedup_key")),
    )
    op.create_index(op.f("ix_monitoring_alert_patient_id"), "monitoring_alert", ["patient_id"], unique=False)
    op.create_index(op.f("ix_monitoring_alert_rule_id"), "monitoring_alert", ["rule_id"], unique=False)
    op.create_index("ix_monitoring_alert_state_severity", "monitoring_alert", ["state", "severity"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_monitoring_alert_state_severity", table_name="monitoring_alert")
    op.drop_index(op.f("ix_monitoring_alert_rule_id"), table_name="monitoring_alert")
    op.drop_index(op.f("ix_monitoring_alert_patient_id"), table_name="monitoring_alert")
    op.drop_table("monitoring_alert")
    op.drop_index(op.f("ix_monitoring_rule_file_loaded_at"), table_name="monitoring_rule_file")
    op.drop_table("monitoring_rule_file")
