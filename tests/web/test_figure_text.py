"""Outcome figures on Chinese pages: every label translated, drawn with a CJK font; English ones unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from matplotlib import font_manager
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from engraft.access import Role
from engraft.api.app import create_app
from engraft.io.figures import FigureFormat, figure_bytes
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.plots import plot_survival
from engraft.registry.database import make_engine
from engraft.web.application import add_pages
from engraft.web.core_text import core_wording
from engraft.web.figure_text import cjk_font, localised_figure_bytes, translate_figure
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client
from tests.conftest import require
from tests.outcomes.test_registry_endpoints import small_registry


def _survival_figure() -> Figure:
    curves = {
        "allogeneic": kaplan_meier([3, 5, 8, 12, 20], [1, 0, 1, 0, 0], time_unit="months"),
        "autologous": kaplan_meier([4, 9, 15, 22], [0, 1, 0, 0], time_unit="months"),
    }
    return plot_survival(curves, title="Overall survival")


def _texts(figure: Figure) -> list[str]:
    figure.canvas.draw()
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_every_label_of_a_survival_figure_is_translated() -> None:
    english = _texts(_survival_figure())
    assert {"Survival probability", "Time (months)", "Number at risk (time in months)", "allogeneic"} <= set(english)
    texts = _texts(translate_figure(_survival_figure(), core_wording("zh_Hans")))
    assert {"生存概率", "时间（月）", "风险人数（时间单位：月）", "异基因", "自体"} <= set(texts)
    assert {"异基因（n = 5）", "自体（n = 4）"} <= set(texts)  # group sizes kept with the translated names
    latin = [t for t in texts if any("a" <= c.lower() <= "z" for c in t.replace("（n = ", ""))]
    assert not latin, texts


def test_the_groups_of_the_numbers_at_risk_table_keep_their_colours() -> None:
    figure = translate_figure(_survival_figure(), core_wording("zh_Hans"))
    key, curves, table = figure.axes
    legend = {
        text.get_text(): to_hex(handle.get_color())
        for text, handle in zip(key.get_legend().get_texts(), key.get_legend().legend_handles, strict=True)
    }
    labels = {label.get_text(): to_hex(label.get_color()) for label in table.get_yticklabels()}
    assert set(labels) == {"异基因", "自体"}
    assert labels["异基因"] == legend["异基因（n = 5）"] and labels["自体"] == legend["自体（n = 4）"]
    steps = [to_hex(line.get_color()) for line in curves.get_lines() if line.get_marker() != "|"]
    assert steps == [labels["异基因"], labels["自体"]]


def test_an_english_figure_is_rendered_as_the_core_draws_it() -> None:
    assert localised_figure_bytes(_survival_figure(), FigureFormat.PNG, "en") == figure_bytes(
        _survival_figure(), FigureFormat.PNG
    )


def test_the_cjk_font_has_simplified_chinese_glyphs() -> None:
    family = cjk_font()
    require(family is not None, "no Noto Sans CJK font installed (Debian package fonts-noto-cjk, installed by .ci/run)")
    assert family is not None
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(c)) for c in "风险人数累积发生率总生存")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("figure-text") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    small_registry(application.state.registry)
    return application


@pytest.fixture(scope="module")
def researcher(app: FastAPI) -> Iterator[SignedInClient]:
    with signed_in_client(app, Role.RESEARCHER, "figure.researcher") as client:
        yield client


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        pytest.param("/outcomes/download/curves/png?group_by=transplant_type", "image/png", id="curves-png"),
        pytest.param("/outcomes/download/curves/svg?endpoint=relapse", "image/svg+xml", id="cif-svg"),
        pytest.param("/outcomes/download/activity/png", "image/png", id="activity-png"),
        pytest.param("/outcomes/download/benchmark/svg", "image/svg+xml", id="benchmark-svg"),
    ],
)
def test_a_chinese_page_downloads_a_chinese_figure(researcher: SignedInClient, path: str, media_type: str) -> None:
    require(cjk_font() is not None, "no Noto Sans CJK font installed (Debian package fonts-noto-cjk)")
    english = researcher.get(path)
    researcher.get("/language?lang=zh_Hans")
    chinese = researcher.get(path)
    researcher.get("/language?lang=en")
    assert english.status_code == chinese.status_code == 200
    assert chinese.headers["content-type"].startswith(media_type)
    assert chinese.content != english.content
