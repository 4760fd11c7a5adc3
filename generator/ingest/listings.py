"""Parse listings: text dumps of Hugging Face paper search pages, into ListingEntry records.

The format, as seen on the site (not just in our five files):

* page boilerplate before the first paper (``new``, ``Get trending papers in your email
  inbox!``, ``Subscribe`` - sometimes glued to the first title -, ``Daily Papers``,
  ``byAK and the research community``) and, sometimes, the capture date (``Mar 5``);
* per paper: a title line, then the abstract line, with or without blank lines between;
* after the abstract, optional metadata: ``• N authors`` or an organisation line
  (``allenai Ai2``), then a ``·`` line, then ``Mon D[, YYYY][ UPVOTES]``.

Dates without a year lie in the year the page was captured. The site omits the year for
dates in the current year, so the capture year is the year after the latest explicit
year, provided every yearless date fits before the capture date at the top. A listing
may state it outright with a first line ``# captured: YYYY-MM-DD`` (or ``YYYY``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AtlasError, quote
from ..files import read_regular
from ..model import MIN_YEAR, last_year, year_in_range

#: Listings larger than this are refused (a search page is a few hundred kB).
MAX_LISTING_BYTES = 20 * 1024 * 1024
#: A title longer than this is not a title: the entry is skipped with a warning.
MAX_TITLE_CHARS = 500
#: A line longer than this is refused as an abstract (a single multi-megabyte line).
MAX_LINE_CHARS = 100_000

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(
    r"^(?P<mon>" + "|".join(MONTHS) + r") (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<upvotes>\d{1,7}))?$"
)
_AUTHORS = re.compile(r"^•\s*(?P<n>\d{1,5}) authors?$")
_DOT = "·"
_CAPTURED = re.compile(r"^#\s*captured:\s*(?P<year>\d{4})(?:-(?P<month>\d{2})-(?P<day>\d{2}))?\s*$", re.I)
_BOILERPLATE = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}


@dataclass
class ListingEntry:
    """One paper as a listing shows it, with the line it starts on."""

    listing: str
    line: int
    title: str
    abstract: str
    authors_count: int | None = None
    organization: str | None = None
    date: str | None = None
    upvotes: int | None = None


@dataclass
class Listing:
    """A parsed listing: its entries and located warnings."""

    path: str
    entries: list[ListingEntry] = field(default_factory=list)
    warnings: list[AtlasError] = field(default_factory=list)
    captured: dt.date | None = None
    capture_year: int | None = None


@dataclass
class _Line:
    number: int
    text: str
    kind: str  # "text", "authors", "dot", "date"


def _classify(number: int, text: str) -> _Line:
    if text == _DOT:
        return _Line(number, text, "dot")
    if _AUTHORS.match(text):
        return _Line(number, text, "authors")
    if _DATE.match(text):
        return _Line(number, text, "date")
    return _Line(number, text, "text")


def decode(data: bytes, name: str) -> str:
    """Decode listing bytes: UTF-8 (with or without BOM), refusing binary garbage."""
    if b"\x00" in data:
        raise AtlasError("binary data (NUL bytes): not a text listing", name, data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AtlasError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the listing as UTF-8", name, line
        ) from None
    return text


def parse_text(text: str, name: str) -> Listing:
    """Parse the text of one listing. Never raises for content problems: it warns."""
    listing = Listing(name)
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    override: tuple[int, dt.date | None] | None = None

    lines: list[_Line] = []
    in_header = True
    for index, raw in enumerate(raw_lines, start=1):
        text_line = raw.strip()  # verbatim inside; only the ends are trimmed
        if not text_line:
            continue
        if len(text_line) > MAX_LINE_CHARS:
            listing.warnings.append(
                AtlasError(f"line of {len(text_line):,} characters skipped (limit {MAX_LINE_CHARS:,})", name, index)
            )
            lines.append(_Line(index, "", "skipped"))
            continue
        if in_header:
            captured = _CAPTURED.match(text_line)
            if captured:
                year = int(captured["year"])
                if not year_in_range(year):
                    listing.warnings.append(
                        AtlasError(f"capture year {year} is out of range ({MIN_YEAR} to {last_year()}), ignored", name, index)
                    )
                    continue
                day = None
                if captured["month"]:
                    try:
                        day = dt.date(year, int(captured["month"]), int(captured["day"]))
                    except ValueError:
                        listing.warnings.append(AtlasError(f"impossible capture date {quote(text_line)}", name, index))
                override = (year, day)
                continue
            if text_line.casefold() in _BOILERPLATE:
                continue
            if text_line.startswith("Subscribe") and len(text_line) > len("Subscribe"):
                text_line = text_line[len("Subscribe") :].lstrip()
            date = _DATE.match(text_line)
            if date and not date["year"] and not date["upvotes"] and listing.captured is None and not lines:
                listing.captured = _month_day(date, 2000)  # year fixed below
                continue
            in_header = False
        lines.append(_classify(index, text_line))

    _entries(lines, listing)
    _resolve_years(listing, lines, override)
    return listing


def _month_day(match: re.Match[str], year: int) -> dt.date | None:
    try:
        return dt.date(year, MONTHS.index(match["mon"]) + 1, int(match["day"]))
    except ValueError:
        return None


def _entries(lines: list[_Line], listing: Listing) -> None:
    name = listing.path
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.kind == "skipped":
            i += 1
            continue
        if line.kind != "text":
            listing.warnings.append(AtlasError(f"metadata line {quote(line.text)} outside an entry, ignored", name, line.number))
            i += 1
            continue
        title = line
        # An organisation line followed by "·" cannot be a title.
        if i + 1 < n and lines[i + 1].kind == "dot":
            listing.warnings.append(AtlasError(f"metadata line {quote(line.text)} outside an entry, ignored", name, line.number))
            i += 2
            continue
        if i + 1 >= n or lines[i + 1].kind != "text" or (i + 2 < n and lines[i + 2].kind == "dot"):
            listing.warnings.append(
                AtlasError(f"entry {quote(title.text)} has no abstract (listing cut off?), skipped", name, title.number)
            )
            i += 1
            continue
        abstract = lines[i + 1]
        i += 2
        if len(title.text) > MAX_TITLE_CHARS:
            listing.warnings.append(
                AtlasError(f"title of {len(title.text):,} characters is not a title, entry skipped", name, title.number)
            )
            continue
        entry = ListingEntry(name, title.number, title.text, abstract.text)
        # Metadata: (authors | organisation) · date
        if i < n and lines[i].kind == "authors":
            entry.authors_count = int(_AUTHORS.match(lines[i].text)["n"])  # type: ignore[index]
            i += 1
        # (A text line then a date is an organisation whose "·" was lost: a title needs an abstract.)
        elif i + 1 < n and lines[i].kind == "text" and lines[i + 1].kind in ("dot", "date"):
            entry.organization = lines[i].text
            i += 1
        if i < n and lines[i].kind == "dot":
            i += 1
            if i < n and lines[i].kind == "date":
                entry.date = lines[i].text  # resolved to ISO in _resolve_years
                i += 1
            else:
                listing.warnings.append(AtlasError("'·' not followed by a date line", name, lines[i - 1].number))
        elif i < n and lines[i].kind == "date":
            entry.date = lines[i].text
            i += 1
        listing.entries.append(entry)


def _resolve_years(listing: Listing, lines: list[_Line], override: tuple[int, dt.date | None] | None) -> None:
    name = listing.path
    raw_dates = [(e, _DATE.match(e.date)) for e in listing.entries if e.date]
    # A year out of the schema's range (0001, 9999) is ignored with a warning below; it
    # says nothing about the year the page was captured either.
    explicit = [int(m["year"]) for _, m in raw_dates if m and m["year"] and year_in_range(int(m["year"]))]
    yearless = [(e, m) for e, m in raw_dates if m and not m["year"]]
    capture_year: int | None = None
    if override:
        capture_year = override[0]
        if override[1]:
            listing.captured = override[1]
    elif explicit:
        capture_year = max(explicit) + 1
    if listing.captured and capture_year:
        try:
            listing.captured = listing.captured.replace(year=capture_year)
        except ValueError:  # Feb 29 in a non-leap year
            listing.captured = None
    listing.capture_year = capture_year

    if yearless and not override:
        problem = None
        if capture_year is None:
            problem = "no date on the page has a year"
        elif listing.captured is not None:
            late = [m.group(0) for _, m in yearless if (_month_day(m, 2000) or dt.date.max) > listing.captured.replace(year=2000)]
            if late:
                problem = f"yearless date {quote(late[0])} falls after the capture date {listing.captured:%b %-d}"
        if problem:
            first = yearless[0][0]
            listing.warnings.append(
                AtlasError(
                    f"cannot infer the year of dates without one ({problem}); add a first line "
                    f"'# captured: YYYY-MM-DD' to the listing",
                    name,
                    first.line,
                )
            )
            capture_year = None

    for entry, match in raw_dates:
        assert match is not None
        year = int(match["year"]) if match["year"] else capture_year
        entry.upvotes = int(match["upvotes"]) if match["upvotes"] else None
        if year is None:
            entry.date = None
            continue
        if not year_in_range(year):
            listing.warnings.append(
                AtlasError(f"date {quote(match.group(0))} is out of range ({MIN_YEAR} to {last_year()}), ignored", name, entry.line)
            )
            entry.date = None
            continue
        day = _month_day(match, year)
        if day is None:
            listing.warnings.append(AtlasError(f"impossible date {quote(match.group(0))}, ignored", name, entry.line))
            entry.date = None
        else:
            entry.date = day.isoformat()


def read_listing(path: Path | str, root: Path | str | None = None) -> Listing:
    """Read and parse a listing file. Raises AtlasError for unreadable or non-text files,
    and for anything but a regular file inside ``root`` (default: the listing's own
    directory): a symbolic link (``listings/x.txt -> /etc/passwd``), a named pipe, a
    device, or a link among the directories between ``root`` and it."""
    path = Path(path)
    name = str(path)
    data = read_regular(path, path.parent if root is None else root, limit=MAX_LISTING_BYTES, name="listing")
    listing = parse_text(decode(data, name), name)
    if not listing.entries:
        listing.warnings.append(AtlasError("no paper found in this listing", name, 1))
    return listing
