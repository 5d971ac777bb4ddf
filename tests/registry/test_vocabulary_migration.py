"""Migration 0006: the registry stores the core vocabulary's codes, and old rows are coded, not guessed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engraft.registry.database import make_engine
from engraft.registry.migrate import downgrade, upgrade
from engraft.vocabulary import ConditioningDrug, DiseaseStatus, DonorEligibility


def _seed_at_0005(engine: Engine, drug: str) -> None:
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO centre (id, code, name, country, created_at, updated_at) "
                "VALUES (1, 'C1', 'One', 'GB', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO patient (id, registry_id, centre_id, sex, birth_date, cmv_serostatus, version, "
                "created_at, updated_at) VALUES (1, 'ENG-1', 1, 'male', '1970-01-01', 'unknown', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO transplant_episode (id, patient_id, centre_id, sequence_number, transplant_type, "
                "graft_source, day0, gvhd_prophylaxis, version, created_at, updated_at) VALUES (1, 1, 1, 1, "
                "'allogeneic', 'bone marrow', '2024-01-01', '[]', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conditioning_agent (episode_id, position, drug, total_dose, unit) "
                "VALUES (1, 0, :drug, 120, 'mg/kg')"
            ),
            {"drug": drug},
        )


def test_free_text_drug_names_become_codes(database_url: str) -> None:
    engine = make_engine(database_url)
    _seed_at_0005(engine, "  Cyclophosphamide ")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT drug FROM conditioning_agent")).scalar() == "cyclophosphamide"
    engine.dispose()


def test_an_unknown_drug_name_stops_the_upgrade_and_names_it(database_url: str) -> None:
    engine = make_engine(database_url)
    _seed_at_0005(engine, "venetoclax")
    with pytest.raises(RuntimeError, match="'venetoclax'"):
        upgrade(engine)
    with engine.connect() as conn:  # the failed upgrade left the 0005 schema and the row as they were
        assert conn.execute(text("SELECT drug FROM conditioning_agent")).scalar() == "venetoclax"
    engine.dispose()


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        pytest.param("diagnosis", "status_at_transplant", "chronic phase 3", id="disease-status"),
        pytest.param("conditioning_agent", "drug", "venetoclax", id="conditioning-drug"),
        pytest.param("donor", "eligibility", "probably", id="donor-eligibility"),
    ],
)
def test_the_database_refuses_values_outside_the_vocabulary(
    database_url: str, table: str, column: str, value: str
) -> None:
    engine = make_engine(database_url)
    _seed_at_0005(engine, "busulfan")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO diagnosis (patient_id, who_name, icd10, diagnosis_date, status_at_transplant, version, "
                "created_at, updated_at) VALUES (1, 'CML', 'C92.1', '2023-01-01', 'chronic phase 1', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO donor (donor_code, relation, cmv_serostatus, eligibility, version, created_at, "
                "updated_at) VALUES ('D1', 'autologous', 'unknown', 'determination not required (autologous use)', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = :value"), {"value": value})
    engine.dispose()


def _check_constraint_text(engine: Engine, table: str) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return str(conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar())
        rows = conn.execute(
            text(
                "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE t.relname = :t AND c.contype = 'c' AND t.relnamespace = to_regnamespace(current_schema())"
            ),
            {"t": table},
        ).scalars()
        return " ".join(rows)


@pytest.mark.parametrize(
    ("table", "members"),
    [
        pytest.param("diagnosis", list(DiseaseStatus), id="disease-status"),
        pytest.param("conditioning_agent", list(ConditioningDrug), id="conditioning-drug"),
        pytest.param("donor", list(DonorEligibility), id="donor-eligibility"),
    ],
)
def test_every_vocabulary_member_is_allowed_by_the_database(database_url: str, table: str, members: list[str]) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    checks = _check_constraint_text(engine, table)
    for member in members:
        assert f"'{member.replace(chr(39), chr(39) * 2)}'" in checks, member
    engine.dispose()


def test_new_codes_are_stored_and_downgrade_maps_them_back(database_url: str) -> None:
    engine = make_engine(database_url)
    _seed_at_0005(engine, "busulfan")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO diagnosis (patient_id, who_name, icd10, diagnosis_date, status_at_transplant, version, "
                "created_at, updated_at) VALUES (1, 'CML', 'C92.1', '2023-01-01', 'chronic phase 2+', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as conn:
        conn.execute(text("UPDATE diagnosis SET status_at_transplant = 'chronic phase 3'"))
    downgrade(engine, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status_at_transplant FROM diagnosis")).scalar() == "chronic phase"
    engine.dispose()
