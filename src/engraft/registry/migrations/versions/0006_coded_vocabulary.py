"""coded vocabulary: chronic phase numbers, autologous donor eligibility, conditioning drugs as codes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 07:00:00

The registry's enums are now the core's one vocabulary (``engraft.vocabulary``):

* disease status gains ``chronic phase 1`` and ``chronic phase 2+`` (the EBMT score needs the phase
  number; ``chronic phase`` stays for records that do not say which);
* donor eligibility gains ``determination not required (autologous use)``;
* a conditioning drug is a code of ``ConditioningDrug`` instead of free text. Stored names are matched
  case-insensitively to the codes; a name that matches none stops the upgrade and lists the names, so
  nothing is guessed (fix them, then upgrade again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STATUS_BEFORE = (
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
)
_STATUS_AFTER = (*_STATUS_BEFORE[:9], "chronic phase 1", "chronic phase 2+", *_STATUS_BEFORE[9:])
_ELIGIBILITY_BEFORE = ("pending", "eligible", "not eligible", "eligible with documented urgent medical need")
_ELIGIBILITY_AFTER = (*_ELIGIBILITY_BEFORE, "determination not required (autologous use)")
_DRUGS = (
    "busulfan",
    "melphalan",
    "thiotepa",
    "treosulfan",
    "cyclophosphamide",
    "fludarabine",
    "clofarabine",
    "carmustine",
    "etoposide",
    "cytarabine",
    "cladribine",
    "carboplatin",
    "bendamustine",
    "anti-thymocyte globulin (rabbit)",
    "anti-thymocyte globulin (horse)",
    "alemtuzumab",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def _replace_check(table: str, column: str, name: str, values: tuple[str, ...], **alter: object) -> None:
    """Swap the CHECK constraint ``ck_<table>_<name>`` for one allowing ``values`` (and alter the column)."""
    with op.batch_alter_table(table, recreate="always" if op.get_bind().dialect.name == "sqlite" else "auto") as b:
        b.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        if alter:
            b.alter_column(column, **alter)  # type: ignore[arg-type]
        b.create_check_constraint(name, _in(column, values))


def _code_drugs() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, drug FROM conditioning_agent")).all()
    by_name = {d: d for d in _DRUGS}
    unknown = sorted({str(drug) for _, drug in rows if str(drug).strip().lower() not in by_name})
    if unknown:
        raise RuntimeError(
            "conditioning drug names that match no code of engraft.vocabulary.ConditioningDrug: "
            f"{unknown}; expected one of {list(_DRUGS)}. Correct these rows, then run `engraft db upgrade` again."
        )
    for row_id, drug in rows:
        code = by_name[str(drug).strip().lower()]
        if code != drug:
            bind.execute(
                sa.text("UPDATE conditioning_agent SET drug = :code WHERE id = :id"), {"code": code, "id": row_id}
            )


def upgrade() -> None:
    _replace_check("diagnosis", "status_at_transplant", "disease_status", _STATUS_AFTER)
    _replace_check("follow_up_visit", "disease_status", "disease_status", _STATUS_AFTER)
    _replace_check("donor", "eligibility", "donor_eligibility", _ELIGIBILITY_AFTER)
    _code_drugs()
    with op.batch_alter_table("conditioning_agent") as b:
        b.alter_column("drug", type_=sa.String(length=32), existing_type=sa.String(length=80), existing_nullable=False)
        b.create_check_constraint("conditioning_drug", _in("drug", _DRUGS))


def downgrade() -> None:
    with op.batch_alter_table("conditioning_agent") as b:
        b.drop_constraint(op.f("ck_conditioning_agent_conditioning_drug"), type_="check")
        b.alter_column("drug", type_=sa.String(length=80), existing_type=sa.String(length=32), existing_nullable=False)
    bind = op.get_bind()
    for table, column in (("diagnosis", "status_at_transplant"), ("follow_up_visit", "disease_status")):
        bind.execute(
            sa.text(
                f"UPDATE {table} SET {column} = 'chronic phase' WHERE {column} IN ('chronic phase 1', 'chronic phase 2+')"
            )
        )
    bind.execute(
        sa.text(
            "UPDATE donor SET eligibility = 'eligible' WHERE eligibility = 'determination not required (autologous use)'"
        )
    )
    _replace_check("diagnosis", "status_at_transplant", "disease_status", _STATUS_BEFORE)
    _replace_check("follow_up_visit", "disease_status", "disease_status", _STATUS_BEFORE)
    _replace_check("donor", "eligibility", "donor_eligibility", _ELIGIBILITY_BEFORE)
