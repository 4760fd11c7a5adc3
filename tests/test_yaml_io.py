"""Writing: write_if_changed with content in chunks, and the YAML text of papers.yaml, which
must be exactly what PyYAML's own representer writes for the same plain data."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import yaml_text
from generator import store
from generator.files import write_if_changed
from generator.errors import AtlasError
from generator.model import MIN_YEAR, TAGS, BibtexLexicon, Catalogue, Paper, Topic, last_year

# --- write_if_changed with chunks -------------------------------------------------------


def strays(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def aged(path: Path) -> os.stat_result:
    """Date the file back a day, so that a rewrite could not keep its modification time."""
    os.utime(path, ns=(path.stat().st_atime_ns - 86_400 * 10**9, path.stat().st_mtime_ns - 86_400 * 10**9))
    return path.stat()


def test_identical_content_in_chunks_is_not_rewritten(tmp_path: Path):
    path = tmp_path / "out.txt"
    path.write_bytes("héllo wörld\n".encode() * 1000)
    before = aged(path)
    chunks = (["héllo ", "wörld\n".encode()] for _ in range(1000))
    assert write_if_changed(path, (c for pair in chunks for c in pair)) is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert strays(tmp_path) == []


@pytest.mark.parametrize(
    "new",
    [
        ["Xbc", "def"],  # differs in the first chunk
        ["abc", "dXf"],  # in a later chunk
        ["abc", "de"],  # shorter
        ["abc", "def", "g"],  # longer
        [],  # empty
    ],
)
def test_different_content_in_chunks_replaces_the_file(tmp_path: Path, new: list[str]):
    path = tmp_path / "out.txt"
    path.write_bytes(b"abcdef")
    before = aged(path)
    assert write_if_changed(path, iter(new)) is True
    assert path.read_bytes() == "".join(new).encode()
    assert path.stat().st_ino != before.st_ino  # a new file, renamed over the old one
    assert strays(tmp_path) == []


def test_chunks_make_a_new_file(tmp_path: Path):
    path = tmp_path / "new.txt"
    assert write_if_changed(path, (f"line {n}\n" for n in range(3))) is True
    assert path.read_text(encoding="utf-8") == "line 0\nline 1\nline 2\n"
    assert write_if_changed(path, (f"line {n}\n" for n in range(3))) is False


class Broken(Exception):
    pass


def failing(chunks: list[str], error: BaseException):
    yield from chunks
    raise error


@pytest.mark.parametrize(
    "chunks",
    [
        ["abc"],  # fails while the content still equals the old file
        ["abX", "more"],  # fails after the first difference, while writing
        [],  # fails at once
    ],
)
@pytest.mark.parametrize("error", [Broken("midway"), OSError(5, "the producer's own I/O error")])
def test_a_failing_chunk_iterable_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, chunks, error):
    path = tmp_path / "out.txt"
    path.write_bytes(b"abcdef")
    before = aged(path)
    with pytest.raises(type(error)) as raised:  # the producer's exception, not a "cannot write"
        write_if_changed(path, failing(chunks, error))
    assert raised.value is error
    assert path.read_bytes() == b"abcdef"
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert strays(tmp_path) == []


def test_chunks_into_a_missing_directory_are_refused_before_they_are_made(tmp_path: Path):
    pulled = []

    def chunks():
        pulled.append(1)
        yield "x"

    with pytest.raises(AtlasError, match="output directory does not exist"):
        write_if_changed(tmp_path / "missing" / "out.txt", chunks())
    assert pulled == []


@settings(max_examples=200, deadline=None)
@given(
    old=st.none() | st.binary(max_size=40),
    new=st.lists(st.binary(max_size=12) | st.text(max_size=6), max_size=6),
)
@pytest.mark.parametrize("durable", [True, False])
def test_any_chunking_writes_exactly_the_joined_bytes(old: bytes | None, new: list[str | bytes], durable: bool):
    # durable=False (the site's generated files) only skips the fsync: same bytes, same rules.
    data = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in new)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "out.bin"
        if old is not None:
            path.write_bytes(old)
        assert write_if_changed(path, iter(new), durable=durable) is (old != data)
        assert path.read_bytes() == data
        assert strays(Path(directory)) == []


# --- the YAML text of papers.yaml ----------------------------------------------------------

#: Values YAML readers take for something else than a string, or that need quoting or escaping.
TRICKY = [
    "1e5", "0x1F", "0o17", "0x1f", "1_000", "12:30", ".5", "-1", "+1", ".inf", ".NaN", "2024-03-01",
    "yes", "No", "ON", "off", "y", "n", "True", "null", "Null", "~", "", "=", "<<", "!", "&", "*",
    " lead", "trail ", "a: b", "# x", "a #b", "- x", "-", "? x", ": x", "[x]", "{x}", "x,y", "@x", "`x", "%x", "|", ">",
    "'", '"', "it's", "\n", "a\nb", "a\n\nb", "a\n", "\ta", "a\tb", "\r\n", "\\", "…", "émoji 🤖", "\U0001f916",
    "\x85", "a\x85b", "\u2028", "a\u2029b", "\ufeff", "\x00", "\x1b[31m", "\x7f", "\u00a0", "\ue000",
]


def texts(min_size: int = 0, max_size: int = 300) -> st.SearchStrategy[str]:
    """Any Unicode text (no surrogates), the tricky values, mixes of both, and long repeats."""
    short = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
    mixed = st.lists(short, min_size=1, max_size=4).map("".join)
    long = st.builds(lambda part, times: part * times, st.sampled_from([" x", "ab ", "…", "a\n", "1e5"]), st.integers(min(50, max_size), max_size))
    return st.one_of(short, mixed, long).map(lambda s: s[:max_size]).filter(lambda s: len(s) >= min_size)


slugs = st.one_of(st.sampled_from(["1e5", "0x1f", "0o17", "yes", "no", "null", "true", "on", "2024", "12-30"]), st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z"))
# Dates within the schema's range (MIN_YEAR to next year).
in_range = st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(last_year(), 12, 31))
dates = st.one_of(in_range.map(dt.date.isoformat), in_range.map(lambda d: d.isoformat()[:7]))
urls = st.builds(
    lambda host, path: f"https://{host}/{path}",
    st.from_regex(r"\A[a-z0-9]{1,10}(\.[a-z]{2,4}){1,2}\Z"),
    # No space, control or format character: the schema refuses them in URLs.
    st.text(alphabet=st.characters(blacklist_characters='<>"', blacklist_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")), max_size=30),
)
fingerprints = st.from_regex(r"\A[0-9a-f]{8}\Z")
topics = st.builds(
    Topic,
    slug=slugs,
    title=texts(1, 200),
    description=texts(1, 2000),
    phrases=st.lists(texts(2, 200), max_size=3),
)


@st.composite
def papers(draw) -> Paper:
    present = lambda strategy: draw(st.none() | strategy)  # noqa: E731 (an optional field)
    return Paper.model_validate(
        {
            "id": draw(slugs),
            "title": draw(texts(1)),
            "authors": draw(st.lists(texts(1), max_size=4)),
            "authors_count": present(st.integers(1, 10_000)),
            "organization": present(texts(1)),
            "date": present(dates),
            "venue": present(texts(1)),
            "arxiv_id": present(st.from_regex(r"\A\d{4}\.\d{4,5}\Z")),
            "arxiv_category": present(st.sampled_from(["cs.RO", "cs.CV", "eess", "q-bio.NC"])),
            "upvotes": present(st.integers(0, 10_000_000)),
            "topics": draw(st.lists(slugs, min_size=1, max_size=3, unique=True)),
            "tags": draw(st.lists(st.sampled_from(TAGS), unique=True)),
            "tldr": draw(texts(1)),
            "links": draw(st.dictionaries(st.from_regex(r"\A[a-z][a-z0-9_-]{0,8}\Z"), urls, max_size=3)),
            "bibtex_key": draw(st.from_regex(r"\A[a-z][a-z0-9]{0,12}\Z")),
            "abstract": draw(texts(1, 5000)),
            "sources": draw(st.lists(texts(1), max_size=2)),
            "provenance": draw(st.dictionaries(texts(1, 40), texts(0, 1000), max_size=3)),
            "generated": draw(st.dictionaries(st.sampled_from(["title", "abstract", "tldr", "authors", "1e5", "yes"]), fingerprints, max_size=4)),
        }
    )


lexicon_words = st.lists(st.sampled_from(["Android", "Go", "1e5", "yes", "de Finetti", "Monte-Carlo", "Pokémon", "null", "Vilares Ferro"]), max_size=3)
lexicons = st.builds(BibtexLexicon, proper_nouns=lexicon_words, family_names=lexicon_words, groups=lexicon_words)


class Flow(dict):
    """A mapping written on one line: how papers.yaml holds a paper's ``generated`` fingerprints."""


class Reference(store.write._Dumper):
    """PyYAML's own SafeRepresenter, with our dumper's resolvers and the one-line fingerprints."""


Reference.add_representer(
    Flow,
    lambda dumper, data: yaml.MappingNode(
        "tag:yaml.org,2002:map",
        [(dumper.represent_str(k), yaml.ScalarNode("tag:yaml.org,2002:str", v, style="'")) for k, v in data.items()],
        flow_style=True,
    ),
)


class PlainDate(str):
    """The value of ``date`` or ``added``: written as a date (plain), as a person writes it."""


# A date-looking value is represented as the timestamp it is to YAML 1.1 (so the serializer
# writes it plain); a month (2024-03) is no timestamp and is plain as a string.
Reference.add_representer(PlainDate, lambda dumper, data: dumper.represent_scalar(dumper.resolve(yaml.ScalarNode, str(data), (True, False)), str(data)))


def reference_text(catalogue: Catalogue) -> str:
    """papers.yaml as PyYAML's representer writes the plain data (the oracle of dumps)."""

    def paper(p: Paper) -> dict:
        data = {}
        for name, value in p.model_dump().items():
            if value is None or value == [] or value == {}:
                if name == "topics":
                    data[name] = value
                continue
            if name == "generated":
                value = Flow(sorted(value.items()))
            elif name in ("date", "added"):
                value = PlainDate(value)
            elif name in ("links", "provenance"):
                value = dict(sorted(value.items()))
            data[name] = value
        return data

    document = {"topics": [{k: v for k, v in t.model_dump().items() if v not in (None, [], {})} for t in catalogue.topics]}
    lexicon = {k: v for k, v in catalogue.bibtex.model_dump().items() if v}
    if lexicon:
        document["bibtex"] = lexicon
    document["papers"] = [paper(p) for p in sorted(catalogue.papers, key=lambda p: p.id)]
    body = yaml.dump(
        document,
        Dumper=Reference,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
        default_flow_style=False,
    )
    return store.write.SCHEMA_COMMENT + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(topics=st.lists(topics, min_size=1, max_size=2), papers=st.lists(papers(), max_size=3), lexicon=lexicons)
def test_save_writes_what_pyyaml_writes_and_reading_gives_it_back(topics, papers, lexicon):
    # Random catalogues pass the schema, not always the cross-paper checks (a slug twice):
    # what is tested here is the YAML both ways, so the text is read back without them.
    catalogue = Catalogue(topics=topics, bibtex=lexicon, papers=papers)
    text = yaml_text(catalogue)
    assert text == reference_text(catalogue)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "papers.yaml"
        assert store.save(catalogue, path) is True
        assert path.read_bytes() == text.encode("utf-8")
        again = Catalogue.model_validate(store.read.read_raw(path)[0])
    assert again == catalogue.model_copy(update={"papers": sorted(catalogue.papers, key=lambda p: p.id)})
    assert yaml_text(again) == text


def test_the_committed_catalogue_is_written_back_byte_for_byte():
    path = Path(__file__).resolve().parent.parent / "papers.yaml"
    catalogue = store.load(path)
    assert yaml_text(catalogue).encode("utf-8") == path.read_bytes()
    assert yaml_text(catalogue) == reference_text(catalogue)


def test_save_streams_into_write_if_changed_and_rewrites_nothing_when_equal(tmp_path: Path):
    path = tmp_path / "papers.yaml"
    catalogue = store.load(Path(__file__).resolve().parent.parent / "papers.yaml")
    assert store.save(catalogue, path) is True
    before = aged(path)
    assert store.save(catalogue, path) is False
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    chunks = list(store.write.dump_chunks(catalogue))
    assert len(chunks) > 1 and all(isinstance(c, bytes) for c in chunks)
    assert b"".join(chunks) == path.read_bytes()


@pytest.mark.parametrize(
    "text",
    ["2024-01-01", "2024-1-1", "2024-01-01 10:00:00", "2024-01-01T10:00:00Z", "yes", "No", "off", "null", "~", "", "1:20",
     "190:20:30.15", "0b101", "1_000", "0o17", "0x1F", "1e5", ".inf", "-.NaN", "=", "<<", "12", "+1"],
)
def test_any_yaml_reader_keeps_ids_titles_and_names_strings(text: str):
    # papers.yaml is read by other tools too (editors, scripts): plain yaml.safe_load, the
    # YAML 1.1 reader most of them use, must see the strings that were written.
    slug = text if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text) else "an-id"
    paper = Paper(id=slug, title=text or "t", authors=[text or "a"], topics=[slug], tldr=text or "t", bibtex_key="k", abstract="a",
                  venue=text or None, date="2024-01-01", added="2024-02")
    catalogue = Catalogue(topics=[Topic(slug=slug, title=text or "t", description=text or "d")], papers=[paper])
    text_written = yaml_text(catalogue)
    data = yaml.safe_load(text_written)
    (written,) = data["papers"]
    assert written["id"] == slug and data["topics"][0]["slug"] == slug
    assert written["title"] == (text or "t") and written["authors"] == [text or "a"] and written["tldr"] == (text or "t")
    assert data["topics"][0]["title"] == (text or "t")
    # The dates are written as a person writes them: a YAML 1.1 reader sees a date there.
    assert written["date"] == dt.date(2024, 1, 1) and written["added"] == "2024-02"
    # Our own reader keeps every value a string (the schema checks the dates): the same catalogue.
    assert Catalogue.model_validate(store.read.read_raw("papers.yaml", text_written.encode())[0]) == catalogue
