"""The home page chart: papers per year, stacked by topic, as a static SVG (pygal).

Rendered at build time with no JavaScript and no external stylesheet, so it shows
the same in an ``<img>``, in a feed reader and offline. Each paper counts once, under
its first (main) topic; undated papers are left out of the chart.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import pygal
from pygal.style import Style

from ..model import Catalogue

#: pygal stamps today's date into a comment; without it the file only changes with the data.
_DATED_COMMENT = re.compile(r"<!--Generated with pygal.*?-->")
#: Even with ``js=[]`` pygal embeds its configuration in a script (for its tooltips).
#: Catalogue text inside is XML-escaped, so the first end tag is the script's own.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)

#: Twelve distinguishable colours (Tableau 10 and two more); pygal's defaults repeat hues.
COLOURS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f3f66", "#8cd17d",
)


#: Years without a paper that the chart still shows between two years with papers; a
#: longer run of empty years is left out (the labels name the years shown).
MAX_GAP = 3


def chart_years(present: set[int]) -> list[int]:
    """The years the chart shows: those with papers, and the empty years between two of
    them when at most :data:`MAX_GAP` are missing in a row. So the chart's width follows the
    years that have papers, never the distance between the oldest and the newest: one
    paper dated 1950 beside the rest in the 2020s adds one bar, not seventy."""
    years: list[int] = []
    for year in sorted(present):
        if years and year - years[-1] - 1 <= MAX_GAP:
            years.extend(range(years[-1] + 1, year))
        years.append(year)
    return years


def papers_per_year(catalogue: Catalogue) -> tuple[list[int], dict[str, list[int]]]:
    """The years the chart shows (:func:`chart_years`), and for each topic with a dated
    paper (in catalogue order) its number of papers (by main topic) per year."""
    counts = Counter((int(p.date[:4]), p.topics[0]) for p in catalogue.papers if p.date)
    if not counts:
        return [], {}
    years = chart_years({year for year, _ in counts})
    per_topic = {t.slug: [counts[(year, t.slug)] for year in years] for t in catalogue.topics}
    return years, {slug: row for slug, row in per_topic.items() if any(row)}


def chart_size(catalogue: Catalogue) -> tuple[int, int]:
    """Width and height in pixels: the plot plus two legend entries per row below it."""
    _, per_topic = papers_per_year(catalogue)
    return 800, 340 + 24 * math.ceil(len(per_topic) / 2)


def chart_svg(catalogue: Catalogue) -> str:
    """The stacked bar chart as a standalone SVG document (deterministic text)."""
    years, per_topic = papers_per_year(catalogue)
    width, height = chart_size(catalogue)
    style = Style(
        colors=COLOURS,
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#ccc",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=13,
        title_font_size=16,
    )
    chart = pygal.StackedBar(
        style=style,
        js=[],  # no script: pygal's default loads pygal.js from kozea.github.io
        no_prefix=True,  # no random chart id in the CSS: same input, same bytes
        width=width,
        height=height,
        title="Papers per year, by topic",
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_legend=-1,
        x_label_rotation=-45 if len(years) > 12 else 0,
        show_minor_x_labels=len(years) <= 24,
        print_values=False,
        print_zeroes=False,
        margin=16,
        margin_bottom=36,  # pygal reserves a row too little for a legend below the plot
    )
    chart.x_labels = [str(year) for year in years]
    chart.x_labels_major = [str(year) for year in years[:: max(1, len(years) // 12)]]
    for topic in catalogue.topics:
        if topic.slug in per_topic:
            chart.add(topic.title, [n or None for n in per_topic[topic.slug]])
    svg = _DATED_COMMENT.sub("", chart.render(is_unicode=True), count=1)
    return _SCRIPT.sub("", svg)
