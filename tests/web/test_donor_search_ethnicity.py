"""A donor's ethnicity (imported with the donor; it chooses the donor's haplotype-frequency set) is shown
with each ranked donor: in ``POST /api/donor-search``, in the page's table and donor detail (English and
Chinese), and in the coordinator's saved report; a donor whose file gave none says "not known"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.routes_donor_search import DonorRegistry
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import import_csv
from tests.web.test_donor_search_page import HTML, PATIENT, ClientFor, _app, _clients

TYPING = "A*01:01,A*03:01,B*08:01,B*07:02,C*07:01,C*07:02,DRB1*03:01,DRB1*15:01,DQB1*02:01,DQB1*06:02"
HEADER = "donor_id,registry,ethnicity,birth_year,sex,cmv,abo,A_1,A_2,B_1,B_2,C_1,C_2,DRB1_1,DRB1_2,DQB1_1,DQB1_2"


@pytest.fixture(scope="module")
def app(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("donor-ethnicity")
    nom = Nomenclature.load(imgt_dir)
    rows = [f"11,REG-A,EUR,1990,M,neg,A,{TYPING}", f"12,REG-A,,1991,F,neg,A,{TYPING}"]
    (folder / "donors.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    store = DonorStore.create(folder / "store", release=nom.release)
    assert import_csv(store, nom, folder / "donors.csv").stored == 2
    return _app(folder / "engraft.db", DonorRegistry(folder / "store", imgt_dir=imgt_dir))


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    yield from _clients(app)


def _page(client_for: ClientFor, language: str) -> str:
    client = client_for(Role.SEARCH_COORDINATOR)
    if language != "en":
        client.get(f"/language?lang={language}")
    data = {"csrf_token": client.csrf_token, "typing_mode": "gl", "gl": PATIENT, "max_mismatches": "0"}
    answer = client.post("/donor-search", data=data, headers=HTML)
    assert answer.status_code == 200, answer.text[-3000:]
    return answer.text


def test_the_api_gives_each_donors_ethnicity(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    answer = client.post("/api/donor-search", json={"patient": PATIENT, "max_mismatches": 0})
    assert answer.status_code == 200, answer.text
    assert {d["donor_id"]: d["ethnicity"] for d in answer.json()["donors"]} == {11: "EUR", 12: None}


@pytest.mark.parametrize(
    ("language", "column", "known", "unknown"),
    [
        pytest.param(
            "en",
            "Ethnicity",
            "Donor ethnicity: EUR (as the registry's file gives it; it chooses the donor's haplotype frequency set)",
            "Donor ethnicity: not known (the registry's file gives none)",
            id="english",
        ),
        pytest.param(
            "zh_Hans",
            "族群",
            "供者族群：EUR（按登记库文件所给；据此选择该供者的单倍型频率数据集）",
            "供者族群：未知（登记库文件未给出）",
            id="chinese",
        ),
    ],
)
def test_the_page_shows_each_donors_ethnicity(
    client_for: ClientFor, language: str, column: str, known: str, unknown: str
) -> None:
    html = _page(client_for, language)
    assert f'<th scope="col">{column}</th>' in html
    assert "<td><code>EUR</code></td>" in html  # the code as the file gave it, not translated
    assert known in html and unknown in html
