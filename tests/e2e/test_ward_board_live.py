"""The ward board in a real browser: a result posted over the API while the board is open raises an alert that
appears on the board without a reload (``static/ward-board.js``: the alert stream and the table fragment), a
nurse acknowledges it with the board's button, the API agrees; axe; a role without ``patient.read`` is refused.

The results go through the served application (``POST /api/observations/bulk`` with an API token, as a lab
interface sends them): on SQLite the monitoring worker and the alert notices live in the server's process, so only
results that reach it there raise an alert the board hears of. The alert is told apart from any other on the board
by its patient (a new one, made for this test) and its rule. That new patient would change the patient list the
other pages' tests count, so this module has a server (and demo database) of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewToken, NewUser
from tests.e2e import conftest
from tests.e2e.conftest import E2E_PASSWORD, LiveServer, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

BILIRUBIN_RULE = "bilirubin-2-mg-dl"
LIVE_TIMEOUT_MS = 30_000
"""How long the board may take to show an alert (the monitoring worker, the stream, the fragment)."""
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own ``engraft serve --demo`` (the harness's, started afresh): the test adds a patient."""
    yield from conftest.live_server.__wrapped__(tmp_path_factory)


@pytest.fixture(scope="module")
def served_accounts(live_server: LiveServer) -> Iterator[AccountService]:
    """The account service on this module's served database."""
    yield from conftest.served_accounts.__wrapped__(live_server)


@dataclass(frozen=True)
class LabClient:
    """A machine client of the served API with a bearer token (what a lab interface holds)."""

    url: str
    token: str

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())


@pytest.fixture
def lab(live_server: LiveServer, served_accounts: AccountService) -> Iterator[LabClient]:
    """A physician-role API token issued by an administrator in the served database, revoked afterwards."""
    serial = next(_serial)
    admin = served_accounts.create_user(
        NewUser(username=f"e2e.ward-admin.{serial}", display_name="Ward Admin", role=Role.ADMIN), E2E_PASSWORD
    )
    expires = served_accounts.now() + dt.timedelta(days=1)
    issued = served_accounts.issue_token(
        NewToken(name=f"e2e-ward-lab-{serial}", role=Role.PHYSICIAN, expires_at=expires), issued_by=admin.user.id
    )
    yield LabClient(live_server.url, issued.secret)
    served_accounts.revoke_token(issued.token.id)


def _new_episode_on_day_4(lab: LabClient, observed: dt.datetime) -> tuple[int, int]:
    """A new adult patient with an autologous transplant four days before ``observed`` (a UTC time; in the first
    centre): (patient, episode). Day 0 is the observation's own UTC date less four days, so a result observed then
    is on day +4 at any hour (not day +3 when an hour before now falls on the UTC day before)."""
    centre = lab.call("GET", "/api/centres")[0]["code"]
    patient = lab.call("POST", "/api/patients", {"centre": centre, "sex": "male", "birth_date": "1971-04-05"})
    day0 = observed.astimezone(dt.UTC).date() - dt.timedelta(days=4)
    episode = lab.call(
        "POST",
        "/api/episodes",
        {
            "patient_id": patient["id"],
            "centre": centre,
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "day0": day0.isoformat(),
        },
    )
    return int(patient["id"]), int(episode["id"])


def _alerts(lab: LabClient, patient_id: int, rule_id: str) -> list[dict[str, Any]]:
    page = lab.call("GET", f"/api/alerts?patient_id={patient_id}&rule_id={rule_id}")
    return list(page["items"])


def test_a_new_alert_appears_live_and_a_nurse_acknowledges_it(sign_in_as: Callable[..., Any], lab: LabClient) -> None:
    from playwright.sync_api import expect

    seen = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    patient_id, episode_id = _new_episode_on_day_4(lab, seen)
    page = sign_in_as(Role.NURSE)
    nurse = page.engraft_account.username
    # the board's stream must be subscribed before the result is stored: a notice is not replayed
    with page.expect_response(lambda answer: "/api/alerts/stream" in answer.url, timeout=LIVE_TIMEOUT_MS) as stream:
        page.goto("/ward-board")
    assert stream.value.status == 200
    expect(page.locator("h1")).to_have_text("Ward board")
    patient_rows = page.locator("#ward-board tbody tr").filter(has=page.locator(f'a[href="/patients/{patient_id}"]'))
    assert patient_rows.count() == 0
    assert _alerts(lab, patient_id, BILIRUBIN_RULE) == []
    page.evaluate("window.e2eBoardLoaded = true")  # gone if the page were loaded again

    result = {
        "patient_id": patient_id,
        "episode_id": episode_id,
        "observed_at": seen.isoformat(),
        "loinc": "1975-2",
        "value": 3.0,
        "unit": "mg/dL",
        "source_id": f"e2e-ward-bili-{patient_id}",
    }
    lab.call("POST", "/api/observations/bulk", [result])

    row = patient_rows.filter(has_text=BILIRUBIN_RULE)
    expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.e2eBoardLoaded === true"), "the board was reloaded, not updated in place"
    [alert] = _alerts(lab, patient_id, BILIRUBIN_RULE)
    assert alert["state"] == "open" and alert["episode_id"] == episode_id
    expect(row).to_have_attribute("id", f"alert-{alert['id']}")
    expect(row).to_contain_text("Bilirubin at or above 2 mg/dL")
    expect(row).to_contain_text("3 mg/dL (at or above 2 mg/dL) on day +4")
    expect(row.locator(".badge--warn")).to_have_text("Warning")
    expect(row.locator("td").nth(5)).to_have_text("Open")
    assert_accessible(page)
    screenshot(page, "ward-board-live")

    row.get_by_role("button", name=f"Acknowledge {BILIRUBIN_RULE}").click()
    page.wait_for_url("**/ward-board?done=acknowledged")
    expect(page.get_by_role("status")).to_have_text("The alert is acknowledged.")
    acknowledged = page.locator(f"#alert-{alert['id']}")
    expect(acknowledged.locator("td").nth(5)).to_have_text(f"Acknowledged by {nurse}")
    expect(acknowledged.get_by_role("button", name=f"Acknowledge {BILIRUBIN_RULE}")).to_have_count(0)
    expect(acknowledged.get_by_role("button", name=f"Resolve {BILIRUBIN_RULE}")).to_be_visible()
    [after] = _alerts(lab, patient_id, BILIRUBIN_RULE)
    assert after["id"] == alert["id"] and after["state"] == "acknowledged"
    assert after["acknowledged_by"] == nurse and after["version"] > alert["version"]
    assert_accessible(page)
    screenshot(page, "ward-board-acknowledged")


def test_a_researcher_is_refused_the_ward_board(sign_in_as: Callable[..., Any]) -> None:
    page = sign_in_as(Role.RESEARCHER)
    answer = page.goto("/ward-board")
    assert answer is not None and answer.status == 403
    assert page.locator(".error-page__status").inner_text().endswith("403")
    assert page.locator("[data-ward-board]").count() == 0
    assert page.request.get("/ward-board/table").status == 403
    assert page.request.get("/api/alerts").status == 403
