"""``POST /api/outcomes/cox|finegray`` answer R's figures, and ``engraft outcomes cox|finegray`` the same numbers.

The figures are those of R ``coxph`` and ``cmprsk::crr`` already pinned in ``reference/r_reference.csv``
(R 4.2.2, survival 3.5.3, cmprsk 2.2.11; tests/outcomes/test_regression_reference.py checks the
estimators against them): plain Cox models with Efron and Breslow ties, a stratified one, one with late
entry, the same late-entry data cut into two (start, stop] rows per patient (counting-process form:
coxph's fit does not change when a row is split, so R's figures still hold), and Fine-Gray models with
one and with two competing causes. Data the models cannot fit are refused with a problem naming the
field; who may ask is ``outcomes.read``.

The routes read no registry record, so one SQLite application serves the whole module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engraft.access import Role
from engraft.api.app import create_app
from engraft.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, RULE_VIOLATION
from engraft.cli.main import app as cli
from engraft.outcomes import OutcomeInputError
from engraft.outcomes.regression_summary import CoxQuestion, answer_cox
from engraft.registry.database import make_engine
from tests.auth_clients import TEST_ACCOUNT_POLICY, signed_in_client, team_client
from tests.database_templates import DatabaseTemplates
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import ref

INVALID_INPUT = "invalid-input"  # the 422 of a body that does not match the schema (api.problems)
TOL = 1e-6  # as test_regression_reference: R was converged to eps 1e-11
SYN_X = ("age", "score", "group1", "group2")


def _syn(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(group1=(df["group"] == 1).astype(float), group2=(df["group"] == 2).astype(float))


def _body(df: pd.DataFrame, covariates: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {
        "time": df["time"].astype(float).tolist(),
        "status": df["status"].astype(int).tolist(),
        "covariates": {name: df[name].astype(float).tolist() for name in covariates},
        **extra,
    }


def _late(df: pd.DataFrame) -> pd.DataFrame:
    return _syn(df[df["time"] > 0])  # R's cox_syn_entry: Surv(entry, time, event) on the rows with time > 0


def _split(df: pd.DataFrame) -> pd.DataFrame:
    """Each (entry, time] row as (entry, mid] censored and (mid, time] with the row's status."""
    mid = (df["entry"] + df["time"]) / 2
    first = df.assign(time=mid, status=0)
    second = df.assign(entry=mid)
    return pd.concat([first, second]).sort_values(["time", "entry"], kind="stable")


COX: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {
    "plain-bmt-any-code": lambda ties: ("cox_bmt", _body(data.bmt(), ("dis",), event="any", ties=ties)),
    "plain-cgvhd-three-codes": lambda ties: (
        "cox_cgvhd",
        _body(data.cgvhd(), ("age", "dx_aml", "tx_pb", "extent_l"), event=[1, 2, 3], ties=ties),
    ),
    "plain-synthetic-cause-1": lambda ties: ("cox_syn", _body(_syn(data.synthetic()), SYN_X, ties=ties)),
    "strata": lambda ties: (
        "cox_syn_strata",
        _body(
            _syn(data.synthetic()),
            SYN_X,
            strata=data.synthetic()["stratum"].astype(str).tolist(),
            ties=ties,
        ),
    ),
    "late-entry": lambda ties: (
        "cox_syn_entry",
        _body(_late(data.synthetic()), SYN_X, entry=_late(data.synthetic())["entry"].tolist(), ties=ties),
    ),
    "counting-process-rows": lambda ties: (
        "cox_syn_entry",
        _body(
            _split(_late(data.synthetic())), SYN_X, entry=_split(_late(data.synthetic()))["entry"].tolist(), ties=ties
        ),
    ),
}

FG: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "bmt-one-competing": ("fg_bmt", lambda: _body(data.bmt(), ("dis",), cause=1)),
    "cgvhd-cause-1-two-competing": ("fg_cgvhd_c1", lambda: _body(data.cgvhd(), ("age", "dx_aml", "tx_pb"), cause=1)),
    "cgvhd-cause-2-two-competing": ("fg_cgvhd_c2", lambda: _body(data.cgvhd(), ("age", "tx_pb"), cause=2)),
    "synthetic": ("fg_syn", lambda: _body(_syn(data.synthetic()), SYN_X, cause=1)),
}


@pytest.fixture(scope="module")
def served(database_templates: DatabaseTemplates) -> Iterator[FastAPI]:
    with database_templates.copy("sqlite") as url:
        engine = make_engine(url)
        yield create_app(engine, migrate=False, account_policy=TEST_ACCOUNT_POLICY)
        engine.dispose()


@pytest.fixture(scope="module")
def client(served: FastAPI) -> Iterator[TestClient]:
    with team_client(served) as test_client:
        yield test_client


def _post(client: TestClient, model: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/outcomes/{model}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _column(answer: dict[str, Any], key: str) -> list[float]:
    return [row[key] for row in answer["coefficients"]]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", [pytest.param(k, id=k) for k in COX])
def test_api_cox_equals_coxph(client: TestClient, case: str, ties: str) -> None:
    reference, body = COX[case](ties)
    answer = _post(client, "cox", body)
    assert answer["converged"] and answer["ties"] == ties
    assert [row["term"] for row in answer["coefficients"]] == list(body["covariates"])
    np.testing.assert_allclose(_column(answer, "coef"), ref(reference, f"{ties}:coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(_column(answer, "std_error"), ref(reference, f"{ties}:se"), rtol=0, atol=TOL)
    np.testing.assert_allclose(
        [answer["loglik_null"], answer["loglik"]], ref(reference, f"{ties}:loglik"), rtol=0, atol=TOL
    )
    coef = np.asarray(_column(answer, "coef"))
    se = np.asarray(_column(answer, "std_error"))
    np.testing.assert_allclose(_column(answer, "hazard_ratio"), np.exp(coef), rtol=1e-12)
    np.testing.assert_allclose(_column(answer, "lower"), np.exp(coef - 1.959963984540054 * se), rtol=1e-12)
    assert answer["n_obs"] == len(body["time"]) and answer["delayed_entry"] == ("entry" in body)


def test_api_cox_facts(client: TestClient) -> None:
    _, body = COX["strata"]("efron")
    answer = _post(client, "cox", {**body, "alpha": 0.1})
    status = np.asarray(body["status"])
    assert answer["event_codes"] == [1] and answer["censored_codes"] == [0, 2]
    assert answer["n_events"] == int((status == 1).sum()) and answer["n_strata"] == 2
    se = np.asarray(_column(answer, "std_error"))
    upper = np.exp(np.asarray(_column(answer, "coef")) + 1.6448536269514722 * se)
    np.testing.assert_allclose(_column(answer, "upper"), upper, rtol=1e-12)  # 90% limits


@pytest.mark.parametrize("case", [pytest.param(k, id=k) for k in FG])
def test_api_fine_gray_equals_crr(client: TestClient, case: str) -> None:
    reference, make = FG[case]
    body = make()
    answer = _post(client, "finegray", body)
    assert answer["converged"] and answer["cause"] == body["cause"]
    np.testing.assert_allclose(_column(answer, "coef"), ref(reference, "coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(_column(answer, "std_error"), ref(reference, "se"), rtol=0, atol=TOL)
    np.testing.assert_allclose(answer["loglik"], ref(reference, "loglik")[0], rtol=0, atol=TOL)
    status = np.asarray(body["status"])
    others = sorted(set(status.tolist()) - {0, body["cause"]})
    assert answer["competing_codes"] == others
    assert answer["n_competing"] == int(np.isin(status, others).sum())
    assert answer["n_events"] == int((status == body["cause"]).sum())
    coef = np.asarray(_column(answer, "coef"))
    np.testing.assert_allclose(_column(answer, "subdistribution_hazard_ratio"), np.exp(coef), rtol=1e-12)


def _cli(*args: str) -> None:
    result = CliRunner().invoke(cli, ["outcomes", *args])
    assert result.exit_code == 0, result.output


def test_cli_and_api_give_the_same_numbers(client: TestClient, tmp_path: Path) -> None:
    df = _split(_late(data.synthetic()))
    source = tmp_path / "intervals.csv"
    df.to_csv(source, index=False)  # pandas writes floats that read back exactly
    common = ["--csv", str(source), "--out", str(tmp_path), "--time", "time", "--status", "status"]
    covariates = [a for name in SYN_X for a in ("--covariate", name)]
    _cli("cox", *common, *covariates, "--entry", "entry", "--strata", "stratum", "--ties", "breslow", "--event", "1")
    body = _body(df, SYN_X, entry=df["entry"].tolist(), strata=df["stratum"].astype(str).tolist(), ties="breslow")
    from_cli = json.loads((tmp_path / "cox.json").read_text(encoding="utf-8"))
    from_api = _post(client, "cox", body)
    assert from_cli["coefficients"] == from_api["coefficients"]
    assert {k: v for k, v in from_cli.items() if k in from_api} == from_api
    _cli("finegray", *common, *covariates, "--cause", "2")
    from_cli = json.loads((tmp_path / "finegray.json").read_text(encoding="utf-8"))
    from_api = _post(client, "finegray", _body(df, SYN_X, cause=2))
    assert {k: v for k, v in from_cli.items() if k in from_api} == from_api
    assert from_cli["file"] == "intervals.csv" and from_api["competing_codes"] == [1]


def _problem(client: TestClient, model: str, body: dict[str, Any], kind: str) -> dict[str, Any]:
    response = client.post(f"/api/outcomes/{model}", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    problem: dict[str, Any] = response.json()
    assert problem["type"] == PROBLEM_TYPE_BASE + kind, problem
    return problem


SMALL = {"time": [2.0, 3.0, 5.0, 7.0, 8.0, 11.0], "status": [1, 0, 2, 1, 1, 0]}


@pytest.mark.parametrize(
    ("model", "change", "field", "value", "expected"),
    [
        pytest.param("cox", {"status": [1, 0, 1]}, "status", "3 values", "6 (one per row", id="status-shorter"),
        pytest.param(
            "finegray",
            {"covariates": {"x": [1.0, 2.0, 3.0, 4.0, 5.0]}},
            "covariates.x",
            "5 values",
            "6 (one per row",
            id="covariate-shorter",
        ),
        pytest.param(
            "cox", {"entry": [0.0, 0.0, 6.0, 0.0, 0.0, 0.0]}, "entry[2]", "6.0", "entry < time", id="entry-after-time"
        ),
        pytest.param(
            "cox",
            {"covariates": {"x": [4.0] * 6}},
            "covariates.x",
            "the same value 4 on every row",
            "a covariate that varies",
            id="constant-covariate",
        ),
        pytest.param(
            "cox",
            {"covariates": {"x": [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]}, "strata": ["a", "a", "b", "b", "c", "c"]},
            "covariates.x",
            "values constant within every stratum",
            "a covariate that varies within every stratum",
            id="covariate-constant-within-strata",
        ),
        pytest.param(
            "cox",
            {"covariates": {"x": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0], "twice_x": [2.0, 4.0, 8.0, 6.0, 12.0, 10.0]}},
            "covariates",
            "['x', 'twice_x']",
            "not (leave one of them out)",
            id="collinear",
        ),
        pytest.param("cox", {"event": [3]}, "status", "the codes [0, 1, 2]", "event code [3]", id="no-event"),
        pytest.param("finegray", {"cause": 3}, "cause", "3", "([1, 2])", id="unknown-cause"),
        pytest.param(
            "cox",
            {"covariates": {"x": [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]}, "event": "any"},
            "covariates",
            "no finite estimate",
            "a finite effect",
            id="separation-does-not-converge",
        ),
    ],
)
def test_unfittable_data_is_a_rule_violation(
    client: TestClient, model: str, change: dict[str, Any], field: str, value: str, expected: str
) -> None:
    body = {**SMALL, "covariates": {"x": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0]}, **change}
    problem = _problem(client, model, body, RULE_VIOLATION)
    fault = problem["errors"][0]
    assert fault["field"] == field and value in fault["value"] and expected in fault["expected"], fault


@pytest.mark.parametrize(
    ("model", "change", "field"),
    [
        pytest.param("cox", {"ties": "exact"}, "ties", id="unknown-ties"),
        pytest.param("cox", {"covariates": {}}, "covariates", id="no-covariate"),
        pytest.param("cox", {"event": [0]}, "event.codes.0", id="event-code-0"),
        pytest.param("cox", {"time": [-1.0, 3.0, 5.0, 7.0, 8.0, 11.0]}, "time.0", id="negative-time"),
        pytest.param("finegray", {"cause": 0}, "cause", id="cause-0"),
        pytest.param("finegray", {"status": [1, 0, 2, 1, 1, 1000]}, "status.5", id="status-code-too-large"),
        pytest.param("finegray", {"ties": "efron"}, "ties", id="no-ties-in-fine-gray"),
        pytest.param("cox", {"covariates": {"x": [1.0, 2.0, 4.0, 3.0, 6.0, 2e12]}}, "covariates.x.5", id="huge"),
    ],
)
def test_schema_mismatch_is_invalid_input(client: TestClient, model: str, change: dict[str, Any], field: str) -> None:
    body = {**SMALL, "covariates": {"x": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0]}, **change}
    problem = _problem(client, model, body, INVALID_INPUT)
    assert field in [e["field"] for e in problem["errors"]], problem


def test_outcomes_read_is_needed(served: FastAPI) -> None:
    body = {**SMALL, "covariates": {"x": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0]}}
    with TestClient(served, base_url="https://testserver") as anonymous:
        for model in ("cox", "finegray"):
            assert anonymous.post(f"/api/outcomes/{model}", json=body).status_code == 401
    with signed_in_client(served, Role.NURSE) as nurse:
        for model in ("cox", "finegray"):
            assert nurse.post(f"/api/outcomes/{model}", json=body).status_code == 403
    with signed_in_client(served, Role.RESEARCHER) as researcher:
        assert researcher.post("/api/outcomes/cox", json=body).status_code == 200


_ROWS = st.integers(min_value=8, max_value=30)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=_ROWS, seed=st.integers(min_value=0, max_value=2**32 - 1), scale=st.sampled_from([0.5, 10.0, 365.25]))
def test_cox_answer_does_not_depend_on_row_order_or_units(n: int, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 20, n).astype(float)
    status = np.where(np.arange(n) < 3, 1, rng.integers(0, 3, n))  # at least three events
    x = rng.normal(size=n)
    x[:2] = [-1.0, 1.0]  # x varies
    question = {"time": time.tolist(), "status": status.tolist(), "covariates": {"x": x.tolist()}, "event": "any"}
    order = rng.permutation(n)
    shuffled = {
        "time": (time[order] * scale).tolist(),  # a time unit does not change a Cox model
        "status": status[order].tolist(),
        "covariates": {"x": (x[order] / 2).tolist()},  # half the unit: twice the coefficient
        "event": "any",
    }
    try:
        base = answer_cox(CoxQuestion.model_validate(question))
    except OutcomeInputError:  # data that separate events (no finite estimate): refused in any order and unit
        with pytest.raises(OutcomeInputError, match=r"no finite estimate|singular"):
            answer_cox(CoxQuestion.model_validate(shuffled))
        return
    other = answer_cox(CoxQuestion.model_validate(shuffled))
    assert other.coefficients[0].coef == pytest.approx(2 * base.coefficients[0].coef, rel=1e-8, abs=1e-10)
    assert other.coefficients[0].p_value == pytest.approx(base.coefficients[0].p_value, rel=1e-7, abs=1e-12)
    assert other.loglik == pytest.approx(base.loglik, rel=1e-10)


DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes-worked-analysis.md"


def test_the_documented_api_example_is_the_real_answer(client: TestClient) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("curl -s https://engraft.example/api/outcomes/cox", 1)[1]
    body = json.loads(section.split("-d '", 1)[1].split("'", 1)[0])
    documented = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    assert _post(client, "cox", body) == documented
    assert documented["coefficients"][0]["coef"] == pytest.approx(np.log((3 + np.sqrt(33)) / 2), abs=1e-12)
    time = [float(t) for t in range(1, 101)]
    short = {"time": time, "status": [1, 0] * 50, "covariates": {"age": time[:99]}}
    with pytest.raises(OutcomeInputError) as refused:
        answer_cox(CoxQuestion.model_validate(short))
    assert f"`{refused.value}`" in " ".join(text.split())
