"""The "what's new" page: the papers added in the last weeks, grouped by the week they were added.

The weeks are counted back from the newest paper's ``added`` day, not from the build's date,
so the page only changes when papers are added. HTML comes from an autoescaped template.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping


from .feeds import feed_path
from ..model import Catalogue
from .html import render as fill
from .plan import relative

PAGE = "whats-new.md"
HERE = "whats-new/"  # the page's site path
#: Weeks shown, counted back from the newest addition.
WEEKS = 8
#: Papers listed in all; the rest of a big week is counted, not listed (the page stays small).
SHOWN = 100

def _monday(day: str) -> dt.date:
    date = dt.date.fromisoformat(day)
    return date - dt.timedelta(days=date.weekday())


def whats_new_page(catalogue: Catalogue, locations: Mapping[str, str]) -> str:
    """The Markdown text of the page; ``locations``: paper id -> site path of its entry."""
    dated = [p for p in catalogue.papers if p.added]
    titles = {t.slug: t.title for t in catalogue.topics}
    weeks: list[dict] = []
    if dated:
        newest = max(_monday(p.added) for p in dated if p.added)
        oldest = newest - dt.timedelta(weeks=WEEKS - 1)
        by_week: dict[dt.date, list] = {}
        for paper in sorted(dated, key=lambda p: (p.added or "", p.id), reverse=True):
            monday = _monday(paper.added or "")
            if monday >= oldest:
                by_week.setdefault(monday, []).append(paper)
        left = SHOWN
        for monday in sorted(by_week, reverse=True):
            shown, left = by_week[monday][:left], max(0, left - len(by_week[monday]))
            if not shown:
                break
            weeks.append(
                {
                    "monday": monday.isoformat(),
                    "papers": [
                        {
                            "title": p.title,
                            "href": relative(locations[p.id], HERE) if p.id in locations else "",
                            "topic": titles.get(p.topics[0], ""),
                            "tldr": p.tldr,
                        }
                        for p in shown
                    ],
                    "more": len(by_week[monday]) - len(shown),
                }
            )
    return fill(
        "whats-new.md.j2",
        weeks=weeks,
        feed_href=relative(feed_path(), HERE),
        topic_feeds=[{"title": t.title, "href": relative(feed_path(t.slug), HERE)} for t in catalogue.topics],
    )
