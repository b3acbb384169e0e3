"""docs/checklists.md must be generated from the shipped checklists and kept current."""
from __future__ import annotations

from pathlib import Path

from riskdesk.engine.checklists import load_release
from riskdesk.engine.checklists.coverage import render

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checklists.md"


def test_coverage_doc_is_up_to_date():
    expected = render(load_release(ROOT / "checklists"))
    assert DOC.exists(), "docs/checklists.md is missing; run: python -m riskdesk.engine.checklists.coverage"
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/checklists.md is out of date; run: python -m riskdesk.engine.checklists.coverage"
    )


def test_coverage_doc_lists_every_item_and_list():
    release = load_release(ROOT / "checklists")
    text = render(release)
    for item in release.items:
        assert f"`{item.id}`" in text
    for name in release.lists:
        assert f"`{name}`" in text


def test_every_legal_item_shows_a_verified_citation():
    release = load_release(ROOT / "checklists")
    text = render(release)
    for item in release.items:
        if item.category in ("legal_state", "legal_federal"):
            assert item.citations, item.id
            for citation in item.citations:
                assert f"verified {citation.verified.isoformat()}" in text


def test_render_detects_a_change(tmp_path):
    """A changed item changes the page, so a stale page cannot pass."""
    import shutil

    copy = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", copy)
    pack = copy / "federal.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace(
        "title: \"Legal review required: technology sharing may be an export or deemed export (EAR)\"",
        "title: \"Legal review required: technology sharing may be an export (EAR) — edited\"", 1), encoding="utf-8")
    assert render(load_release(copy)) != render(load_release(ROOT / "checklists"))
