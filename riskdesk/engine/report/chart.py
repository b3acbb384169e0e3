"""The category chart: a horizontal bar chart as inline SVG with a text alternative.

The SVG carries a ``<title>`` (WeasyPrint uses it as the ``/Alt`` of the tagged ``Figure``) and a
``<desc>`` that spells out every value, so the chart is never the only way to read the data: the
report also prints the same figures in a table.  Colour is never the only signal either: each bar
is labelled with its score and rating in words.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from riskdesk.vocabulary import CATEGORY_LABELS, CATEGORY_READING_ORDER

# Colours chosen for contrast against white (all >= 4.5:1 for the text drawn beside them).
FONT = 'font-family="Report Sans, sans-serif" font-size="10"'
RATING_COLOURS = {
    "low": "#2e6b3a",
    "moderate": "#8a5a00",
    "high": "#b3361d",
    "critical": "#7a1020",
}


def category_label(key: str) -> str:
    return CATEGORY_LABELS.get(key, str(key))


def ordered_categories(categories: dict) -> list[tuple[str, dict]]:
    known = [(k, categories[k]) for k in CATEGORY_READING_ORDER if k in categories]
    extra = sorted((k, v) for k, v in categories.items() if k not in CATEGORY_READING_ORDER)
    return known + extra


def chart_text(categories: dict) -> str:
    """The plain-text alternative: every category with its score and rating."""
    rows = ordered_categories(categories)
    if not rows:
        return "Risk score by category: no categories were scored."
    parts = [f"{category_label(k)} {int(v.get('score') or 0)} points, {v.get('rating', 'low')}"
             for k, v in rows]
    return "Risk score by category: " + "; ".join(parts) + "."


def category_chart_svg(categories: dict, *, width: int = 500) -> Markup:
    """Render the chart; every piece of text is escaped."""
    rows = ordered_categories(categories)
    label_w, value_w, bar_h, gap, top = 130, 100, 12, 6, 4
    bar_area = width - label_w - value_w
    height = top * 2 + max(1, len(rows)) * (bar_h + gap)
    top_score = max([int(v.get("score") or 0) for _, v in rows] + [1])
    title = "Risk score by category"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(chart_text(categories))}</title>',
        f'<desc id="chart-desc">{escape(title)}: bar length is the category score; '
        f'the label after each bar gives the score and rating.</desc>',
    ]
    for i, (key, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        score = int(value.get("score") or 0)
        rating = str(value.get("rating") or "low")
        colour = RATING_COLOURS.get(rating, "#444444")
        w = 0 if score <= 0 else max(2, round(bar_area * score / top_score))
        ty = y + bar_h - 2
        out.append(f'<text x="{label_w - 8}" y="{ty}" text-anchor="end" {FONT} fill="#1a1a1a">'
                   f'{escape(category_label(key))}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{bar_area}" height="{bar_h}" '
                   f'fill="#eef0f3"/>')
        if w:
            out.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" '
                       f'fill="{colour}"/>')
        out.append(f'<text x="{label_w + bar_area + 8}" y="{ty}" {FONT} font-weight="bold" fill="{colour}">'
                   f'{score} · {escape(rating)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
