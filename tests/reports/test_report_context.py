"""build_context / render_html / chart: pure functions, no PDF needed."""
from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from riskdesk.engine.report import render as R
from riskdesk.engine.report.chart import category_chart_svg, chart_text
from riskdesk.engine.report.render import build_context, render_html


def test_recommendation_follows_rating(document, result, kwargs):
    assert build_context(document, result, **kwargs)["recommendation"]["headline"] == \
        "Do not sign: the law bars this agreement as proposed."
    expected = {"critical": "Do not approve as proposed.", "high": "Approve only with conditions.",
                "moderate": "Approve with conditions.", "low": "May be approved."}
    # the headline follows the prohibitions among the findings, then the rating
    without_bar = [f for f in result["findings"] if f["effect"] != "prohibition"]
    for rating, headline in expected.items():
        res = {**result, "prohibited": False, "rating": rating, "findings": without_bar}
        assert build_context(document, res, **kwargs)["recommendation"]["headline"] == headline


def test_legal_bars_split_from_findings(document, result, kwargs):
    ctx = build_context(document, result, **kwargs)
    # prohibitions first, then requirements, the most severe first (state and federal together)
    assert [f["id"] for f in ctx["bars"]] == ["TX-795-SISTER-CITY", "FED-NDAA-889", "TX-2274-CRIT-INFRA"]
    in_categories = {f["id"] for c in ctx["findings_by_category"] for f in c["findings"]}
    assert not in_categories & {"TX-795-SISTER-CITY", "TX-2274-CRIT-INFRA", "FED-NDAA-889"}
    assert len(in_categories) + 3 == len(result["findings"])


def test_actions_are_deduplicated(document, result, kwargs):
    ctx = build_context(document, result, **kwargs)
    required = [a["text"] for a in ctx["required_actions"]]
    suggested = [a["text"] for a in ctx["suggested_conditions"]]
    assert len(required) == len(set(required)) and len(suggested) == len(set(suggested))
    ask = next(a for a in ctx["required_actions"] if a["text"].startswith("Ask the city attorney"))
    assert ask["ids"] == ["TX-795-SISTER-CITY", "TX-2274-CRIT-INFRA"]
    # a mitigation that is both required (legal bar) and suggested (risk) is listed once, as required
    remove = "Remove system access to port systems from the MoU."
    assert remove in required and remove not in suggested
    assert next(a for a in ctx["required_actions"] if a["text"] == remove)["ids"] == [
        "TX-2274-CRIT-INFRA", "DP-SYSTEM-ACCESS"]


def test_html_basics(document, result, kwargs):
    html = render_html(build_context(document, result, **kwargs))
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert "<title>Staff report: Sister-city agreement" in html
    assert html.count("<h1") == 1
    assert "<th scope=" in html
    assert "box-shadow" not in html


def test_user_text_is_escaped(document, result, kwargs):
    document["title"] = '</title><script>alert(1)</script>'
    result["findings"][0]["because"] = ['<img src="http://127.0.0.1:1/x">']
    html = render_html(build_context(document, result, **kwargs))
    assert "<script>" not in html and '<img src="http' not in html
    assert "&lt;script&gt;" in html and "&lt;img src=&#34;http://127.0.0.1:1/x&#34;&gt;" in html


def test_strict_undefined():
    with pytest.raises(UndefinedError):
        render_html({"lang": "en"})


def test_minimal_inputs_render(kit):
    """A bare result (no categories, findings or extras) still gives a valid report."""
    doc = {"title": "Friendship visit", "city": {"name": "Springfield", "state": "TN"},
           "agreement": {"type": "delegation_visit"}, "partner": {"name": "X", "country": "FR"}}
    res = {"rating": "low", "prohibited": False, "score": 0, "categories": {}, "findings": [],
           "open_questions": [], "checklist_release": "rel-1"}
    pdf = kit.render_checked(doc, res, generated_at="2026-11-26")
    text = kit.text(pdf)
    assert "May be approved." in text and "Not screened: no restricted-party list had been imported" in text
    assert "X, France" in text


def test_chart_has_text_alternative():
    cats = {"legal_state": {"score": 40, "rating": "critical"},
            "governance": {"score": 0, "rating": "low"},
            "custom_<b>": {"score": 2, "rating": "low"}}
    svg = str(category_chart_svg(cats))
    assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg
    assert "State law 40 points, critical" in chart_text(cats)
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_stylesheet_parsed_once():
    first = R._resources()
    assert R._resources() is first
