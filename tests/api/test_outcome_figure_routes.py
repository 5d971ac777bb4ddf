"""``/api/outcomes`` figures a journal accepts: PDF, size in millimetres, resolution, time axis unit; refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from engraft.api.problems import Problem
from tests.api.test_outcomes_routes import INVALID, RULE, client

__all__ = ["client"]  # the fixture, shared with the other outcomes route tests


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/outcomes/{path}", params=params)
    assert response.status_code == 200, response.text
    return response


def test_pdf_png_and_svg_at_the_size_and_unit_asked(client: TestClient) -> None:
    pdf = _get(client, "survival", format="pdf", width_mm=85, height_mm=70, group_by="transplant_type")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    png = _get(client, "cif", endpoint="relapse", format="png", width_mm=175, height_mm=120, dpi=300)
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (int(175 / 25.4 * 300), int(120 / 25.4 * 300))  # matplotlib truncates
    svg = _get(client, "grfs", format="svg", figure_time_unit="months").text
    assert "Time (months)" in svg and "Number at risk (time in months)" in svg
    same = _get(client, "survival", format="pdf", width_mm=85, height_mm=70, group_by="transplant_type")
    assert same.content == pdf.content  # no creation date: the same figure gives the same bytes


@pytest.mark.parametrize(
    ("params", "field", "value", "kind"),
    [
        pytest.param({"dpi": 71}, "dpi", "71", INVALID, id="dpi-below-72"),
        pytest.param({"dpi": 1201}, "dpi", "1201", INVALID, id="dpi-above-1200"),
        pytest.param({"width_mm": 49.9, "height_mm": 60}, "width_mm", "49.9", INVALID, id="too-narrow"),
        pytest.param({"width_mm": 85}, "height_mm", None, RULE, id="width-without-height"),
        pytest.param({"figure_time_unit": "weeks"}, "figure_time_unit", "weeks", INVALID, id="unknown-unit"),
        pytest.param({"width_mm": 500, "height_mm": 500, "dpi": 1200}, "dpi", 1200, RULE, id="too-many-pixels"),
    ],
)
def test_figure_parameters_refused_as_422_naming_the_field(
    client: TestClient, params: dict[str, Any], field: str, value: Any, kind: str
) -> None:
    response = client.get("/api/outcomes/survival", params={"format": "png", **params})
    assert response.status_code == 422, response.text
    body = Problem.model_validate(response.json())
    assert body.type == kind
    (fault,) = body.errors
    assert (fault.field, fault.value) == (field, value)


def test_openapi_declares_pdf_and_the_figure_parameters(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path in ("survival", "cif", "grfs"):
        operation = document["paths"][f"/api/outcomes/{path}"]["get"]
        assert "application/pdf" in operation["responses"]["200"]["content"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"width_mm", "height_mm", "dpi", "figure_time_unit"} <= names
