"""Build the site: papers.yaml -> generated files in ``docs/`` -> MkDocs -> ``site/``.

The generator owns these paths in ``docs/`` and nothing else (see :data:`GENERATED`):
``index.md``, ``papers.json``, ``papers.yaml``, ``assets/chart.svg`` and everything
under ``topics/`` and ``bib/``. Files there that the catalogue no longer produces (a
removed topic, a page a shrunk topic no longer needs) are deleted. All files are
written with ``write_if_changed``, so a build with nothing changed writes nothing and
``mkdocs serve`` does not loop on its own output.

Each file is written as soon as it is made (:func:`generated_files`, :func:`write_files`):
the .bib files and papers.json in pieces, the pages one by one, so a build holds the
catalogue, its BibTeX entries and the papers' HTML, never the whole output (at 100,000
papers that output is about a gigabyte). Other threads do the writing, so the waits for
the disk overlap the making of the next files. ``docs/.generated.json`` records the
size of every file, for the no-op check of the next build.

The generated files are plain Markdown/HTML, JSON, BibTeX and SVG; they are not kept in
git (.gitignore). ``python -m generator build`` writes them and runs MkDocs; plain
``mkdocs build``/``mkdocs serve`` write them through ``generator/mkdocs_hooks.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from .render import pages
from .render.bibtex import entry_text, library_chunks
from .files import Content, write_if_changed
from .render.chart import chart_svg
from .errors import AtlasError
from .render.export import papers_json_chunks
from .render.feeds import feed_files
from .model import Catalogue, Paper
from .store import load
from .render.whatsnew import PAGE as WHATS_NEW
from .render.whatsnew import whats_new_page

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

#: Generated files (docs-relative); a path ending in "/" means the whole directory.
GENERATED = ("index.md", "papers.json", "papers.yaml", "assets/chart.svg", "topics/", "bib/", "feed.xml", "feeds/", "whats-new.md")
#: The whole library; a topic may not take this name for its own .bib file.
LIBRARY = "bib/references.bib"
#: Set to a catalogue path to build the site from it instead of papers.yaml beside mkdocs.yml.
CATALOGUE_ENV = "ATLAS_CATALOGUE"


def is_generated(docs_path: str) -> bool:
    """Whether a docs-relative path belongs to the generator."""
    return any(docs_path.startswith(g) if g.endswith("/") else docs_path == g for g in GENERATED)


@dataclass(frozen=True)
class SiteSettings:
    """What the generator needs to know about the site; read from mkdocs.yml."""

    catalogue: Path
    docs_dir: Path
    links: pages.SiteLinks = pages.SiteLinks()

    @classmethod
    def from_mkdocs(cls, config: "MkDocsConfig", catalogue: Path | str | None = None) -> "SiteSettings":
        """Settings for the MkDocs configuration ``config``. The catalogue is ``catalogue``,
        else $ATLAS_CATALOGUE, else ``papers.yaml`` beside mkdocs.yml."""
        project = Path(config.config_file_path).resolve().parent if config.config_file_path else Path.cwd()
        catalogue = Path(catalogue or os.environ.get(CATALOGUE_ENV) or project / "papers.yaml").resolve()
        docs_dir = Path(config.docs_dir).resolve()
        repo_url = config.repo_url or None
        edit_url = None
        # edit_uri is "edit/<branch>/<docs dir>/"; the catalogue sits beside the docs dir.
        docs_rel = os.path.relpath(docs_dir, project).replace(os.sep, "/")
        edit_uri = config.edit_uri or ""
        if repo_url and edit_uri.rstrip("/").endswith("/" + docs_rel) and catalogue.parent == project:
            root = edit_uri.rstrip("/")[: -len(docs_rel)]
            edit_url = f"{repo_url.rstrip('/')}/{root.strip('/')}/{catalogue.name}"
        site_url = config.site_url or None
        return cls(catalogue, docs_dir, pages.SiteLinks(site_url, repo_url, edit_url))


@dataclass
class Generation:
    """What one generation did, as docs-relative paths."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    papers: int = 0
    seconds: float = 0.0
    #: Nothing to do: the files in docs/ were generated from exactly this papers.yaml.
    up_to_date: bool = False

    def summary(self) -> str:
        if self.up_to_date:
            return f"up to date: {self.unchanged} generated files already match papers.yaml ({self.seconds:.1f} s)"
        return (
            f"{self.papers} papers: {len(self.written)} generated files written, "
            f"{self.unchanged} unchanged, {len(self.removed)} stale removed ({self.seconds:.1f} s)"
        )


@dataclass
class _Read:
    """One version of papers.yaml as read: what identifies it (modification time, size,
    inode), its bytes, their SHA-256 and, once validated, the catalogue."""

    version: tuple[int, int, int]
    data: bytes
    digest: str
    catalogue: Catalogue | None = None


# A build asks for papers.yaml many times: `build`'s own check, the generation, the MkDocs
# hook's topics and its generation (and every rebuild of `mkdocs serve`). It is read,
# hashed and validated once while the file is unchanged.
_last_read: dict[Path, _Read] = {}


def _read(path: Path) -> _Read:
    """papers.yaml's bytes and digest (from the last read while the file is unchanged)."""
    info = path.stat()
    version = (info.st_mtime_ns, info.st_size, info.st_ino)
    read = _last_read.get(path)
    if read is None or read.version != version:
        data = path.read_bytes()
        read = _Read(version, data, hashlib.sha256(data).hexdigest())
        _last_read.clear()
        _last_read[path] = read
    return read


def _load(path: Path) -> _Read:
    """papers.yaml read and validated (the catalogue is set), or its first located error."""
    try:
        read = _read(path)
    except FileNotFoundError:
        raise AtlasError("catalogue not found", str(path)) from None
    if read.catalogue is None:
        read.catalogue = load(path, read.data)  # the bytes read, not another read
    return read


def load_catalogue(path: Path) -> tuple[Catalogue, bytes]:
    """The valid catalogue at ``path`` and its exact bytes, or the first located error."""
    read = _load(Path(path))
    assert read.catalogue is not None
    return read.catalogue, read.data


def bib_files(catalogue: Catalogue, bibtex: Mapping[str, str]) -> Iterator[tuple[str, Content]]:
    """The BibTeX files: the whole library, then one per topic, from ``bibtex`` (paper id
    -> entry text); each file's content comes in pieces, one per entry."""
    if any(f"bib/{t.slug}.bib" == LIBRARY for t in catalogue.topics):
        raise AtlasError(f"topic slug 'references' is taken by the whole library, {LIBRARY}; rename the topic")
    yield LIBRARY, library_chunks(catalogue.papers, bibtex)
    # Every topic's papers (as Catalogue.papers_in gives them) in one pass over the catalogue.
    members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
    for paper in catalogue.papers:
        for slug in paper.topics:
            if slug in members:
                members[slug].append(paper)
    for topic in catalogue.topics:
        yield f"bib/{topic.slug}.bib", library_chunks(members[topic.slug], bibtex)


def export_files(
    catalogue: Catalogue,
    catalogue_bytes: bytes,
    locations: Mapping[str, str],
    bibtex: Mapping[str, str],
    site_url: str | None,
) -> Iterator[tuple[str, Content]]:
    """The copy of papers.yaml, papers.json (in pieces, about one per paper) and the
    chart; ``locations`` is :attr:`pages.Layout.locations`."""
    yield "papers.yaml", catalogue_bytes
    yield "papers.json", papers_json_chunks(catalogue, locations, bibtex, site_url)
    yield "assets/chart.svg", chart_svg(catalogue)


def generated_files(catalogue: Catalogue, catalogue_bytes: bytes, links: pages.SiteLinks) -> Iterator[tuple[str, Content]]:
    """Every generated file, one at a time: (docs-relative path, content), the content
    being text, bytes or an iterable of text pieces (see ``write_if_changed``).

    Each BibTeX entry is made once, for the .bib files, the pages and papers.json. A
    caller that writes each file before asking for the next holds the catalogue, the
    entries and the papers' HTML (until the pages are done), never the whole output.
    """
    bibtex = {p.id: entry_text(p) for p in catalogue.papers}
    yield from bib_files(catalogue, bibtex)
    layout = pages.Layout(catalogue, bibtex, links)
    yield from layout.files()
    locations = layout.locations
    del layout  # the papers' HTML: not needed by the exports
    yield from export_files(catalogue, catalogue_bytes, locations, bibtex, links.site_url)
    yield from feed_files(catalogue, locations, links.site_url)
    yield WHATS_NEW, whats_new_page(catalogue, locations)


@dataclass
class Written:
    """What :func:`write_files` did, as docs-relative paths."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: every file's size in bytes, written or not
    sizes: dict[str, int] = field(default_factory=dict)


#: Threads writing files: two, so that a big file made as it is written (papers.json)
#: does not hold up the plain copy of another (papers.yaml).
WRITERS = 2
#: Files made and not yet written, at most: enough to keep the writing threads busy, few
#: enough that the pages waiting hold a few megabytes.
WRITE_AHEAD = 4


def write_files(docs: Path, files: Iterable[tuple[str, Content]]) -> Written:
    """Write each generated file into ``docs`` as it comes (``write_if_changed``: only
    when its bytes changed, atomically).

    The writing (comparing with the old file, writing, fsync) runs in :data:`WRITERS`
    other threads while this one makes the next files, so waiting for the disk overlaps
    the rendering; at most :data:`WRITE_AHEAD` files wait to be written. The first
    failure (making or writing a file) stops the generation with its error; files
    already handed over are written first, those not yet started are dropped.
    """
    done = Written()
    directories: set[Path] = set()

    def write(path: str, target: Path, content: Content) -> tuple[str, bool, int]:
        # Generated files can be made again: no fsync (see write_if_changed).
        return path, write_if_changed(target, content, durable=False), target.stat().st_size

    def record(future: Future[tuple[str, bool, int]]) -> None:
        path, changed, size = future.result()
        if changed:
            done.written.append(path)
        else:
            done.unchanged += 1
        done.sizes[path] = size

    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="atlas-write") as writer:
        pending: deque[Future[tuple[str, bool, int]]] = deque()
        try:
            for path, content in files:
                assert is_generated(path), f"the generator wrote outside its own paths: {path}"
                target = docs / path
                if target.parent not in directories:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    directories.add(target.parent)
                pending.append(writer.submit(write, path, target, content))
                if len(pending) > WRITE_AHEAD:
                    record(pending.popleft())
            while pending:
                record(pending.popleft())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    done.written.sort()
    return done


#: Records what the last generation was made from, so that a build with nothing changed
#: skips validation and rendering (kept in docs/, which MkDocs ignores as a dotfile).
STAMP = ".generated.json"


def _generator_version() -> str:
    """A hash of the generator's own source: new code may render the same catalogue anew."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _stamp(settings: SiteSettings, digest: str) -> dict[str, object]:
    """What a generation is made from: the catalogue's SHA-256, the generator, the links."""
    return {
        "catalogue": digest,
        "generator": _generator_version(),
        "links": [settings.links.site_url, settings.links.repo_url, settings.links.catalogue_edit_url],
    }


def _up_to_date(docs: Path, stamp: dict[str, object]) -> int | None:
    """The number of generated files when docs/ holds exactly what ``stamp`` would produce."""
    try:
        recorded = json.loads((docs / STAMP).read_text(encoding="utf-8"))
        files: dict[str, int] = recorded.pop("files")
        recorded.pop("topics")
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    if recorded != stamp:
        return None
    for path, size in files.items():
        try:
            if (docs / path).stat().st_size != size:
                return None
        except OSError:
            return None
    return len(files)


def _validated_before(catalogue: Path, docs: Path) -> bool:
    """Whether the last generation into ``docs`` was made, by this generator, from exactly
    these catalogue bytes (which it validated then)."""
    try:
        recorded = json.loads((docs / STAMP).read_text(encoding="utf-8"))
        return recorded["catalogue"] == _read(catalogue).digest and (
            recorded["generator"] == _generator_version()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def generate(settings: SiteSettings) -> Generation:
    """Validate the catalogue and bring the generated files in ``docs/`` up to date.

    When papers.yaml, the generator and the site settings are exactly those of the last
    generation (recorded in ``docs/.generated.json``) and its files are all in place,
    nothing is validated, rendered or written: that catalogue passed validation then.
    """
    start = time.monotonic()
    docs = settings.docs_dir
    if not docs.is_dir():
        raise AtlasError("docs directory not found", str(docs))
    try:
        unchanged = _up_to_date(docs, _stamp(settings, _read(settings.catalogue).digest))
    except OSError:
        unchanged = None  # no catalogue to read: loading it says why
    if unchanged is not None:
        result = Generation(unchanged=unchanged, up_to_date=True)
        result.seconds = time.monotonic() - start
        return result
    read = _load(settings.catalogue)
    catalogue, data, stamp = read.catalogue, read.data, _stamp(settings, read.digest)
    assert catalogue is not None
    done = write_files(docs, generated_files(catalogue, data, settings.links))
    result = Generation(written=done.written, unchanged=done.unchanged, papers=len(catalogue.papers))
    result.removed = _remove_stale(docs, set(done.sizes))
    record = {**stamp, "files": done.sizes, "topics": [t.slug for t in catalogue.topics]}
    write_if_changed(docs / STAMP, json.dumps(record, indent=1, sort_keys=True) + "\n")
    result.seconds = time.monotonic() - start
    return result


def _remove_stale(docs: Path, keep: set[str]) -> list[str]:
    """Delete files in the generator's directories that this generation did not produce."""
    removed = []
    for owned in (g for g in GENERATED if g.endswith("/")):
        root = docs / owned
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root, topdown=False):
            for name in filenames:
                path = Path(dirpath) / name
                relative = path.relative_to(docs).as_posix()
                if relative not in keep:
                    path.unlink()
                    removed.append(relative)
            if dirpath != str(root) and not os.listdir(dirpath):
                os.rmdir(dirpath)
    return sorted(removed)


def topic_slugs(settings: SiteSettings) -> list[str]:
    """The topics in page order: from the last generation's record when it is up to date
    (no need to parse papers.yaml again), else from the validated catalogue."""
    try:
        stamp = _stamp(settings, _read(settings.catalogue).digest)
        if _up_to_date(settings.docs_dir, stamp) is not None:
            return json.loads((settings.docs_dir / STAMP).read_text(encoding="utf-8"))["topics"]
    except (OSError, ValueError, KeyError):
        pass
    catalogue, _ = load_catalogue(settings.catalogue)
    return [t.slug for t in catalogue.topics]


def topics_nav(nav: list | None, slugs: list[str]) -> list | None:
    """``nav`` with its ``topics/index.md`` entry turned into a section listing every topic
    in the catalogue's order (titles come from the pages' front matter)."""
    if not nav:
        return nav
    topic_pages = [posixpath.join(pages.topic_path(slug), "index.md") for slug in slugs]
    result = []
    for item in nav:
        if isinstance(item, dict) and list(item.values()) == ["topics/index.md"]:
            (title,) = item
            item = {title: ["topics/index.md", *topic_pages]}
        result.append(item)
    return result


@contextlib.contextmanager
def _catalogue_for_hook(path: Path) -> Iterator[None]:
    old = os.environ.get(CATALOGUE_ENV)
    os.environ[CATALOGUE_ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(CATALOGUE_ENV, None)
        else:
            os.environ[CATALOGUE_ENV] = old


def load_mkdocs_config(config_file: Path, **options: object) -> "MkDocsConfig":
    """The validated MkDocs configuration; a bad mkdocs.yml is one AtlasError."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    if not config_file.is_file():
        raise AtlasError("MkDocs configuration not found", str(config_file))
    try:
        return load_config(config_file=str(config_file), **options)
    except (Abort, ConfigurationError) as exc:
        raise AtlasError(f"invalid MkDocs configuration: {exc}", str(config_file)) from None


def run_mkdocs(config: "MkDocsConfig", catalogue: Path) -> None:
    """``mkdocs build`` in this process (strict if mkdocs.yml or the caller says so)."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, BuildError

    with _catalogue_for_hook(catalogue):
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        except (Abort, BuildError) as exc:
            raise AtlasError(f"mkdocs build failed: {exc}", str(config.config_file_path)) from None
        finally:
            config.plugins.on_shutdown()


def build(catalogue: Path, *, mkdocs: bool = True) -> tuple[Generation, Path | None]:
    """Validate ``catalogue``, generate the pages into the docs directory of the
    ``mkdocs.yml`` beside it and, with ``mkdocs``, build the site strictly.

    Returns what the generation did and the site directory (None without MkDocs).
    """
    catalogue = Path(catalogue).resolve()
    if not _validated_before(catalogue, catalogue.parent / "docs"):
        load_catalogue(catalogue)  # refuse a broken catalogue before anything else
    config = load_mkdocs_config(catalogue.parent / "mkdocs.yml", strict=True)
    result = generate(SiteSettings.from_mkdocs(config, catalogue))
    if not mkdocs:
        return result, None
    run_mkdocs(config, catalogue)
    return result, Path(config.site_dir)
