"""Build the site: papers.yaml -> generated files in ``docs/`` -> a site builder -> ``site/``.

``python -m generator build`` loads and validates the catalogue once, writes every
generated file into ``docs/`` (only those whose bytes changed, atomically), removes the
generated files the catalogue no longer produces, records what it wrote, and then runs the
site builder as a plain subprocess: ``mkdocs build --strict`` or ``zensical build``, with Pagefind
indexing the paper pages of ``docs/`` beside it for search. The builder reads ``mkdocs.yml`` and the files in ``docs/``; nothing else passes between the two
halves (no hooks, no environment variables, no caches).

The generator owns these docs-relative paths and nothing else (:data:`GENERATED`); the
navigation of the topics is one of them (``topics/.nav.yml``, read by the awesome-nav
plugin in MkDocs and natively by Zensical).

``docs/.generated.json`` records the SHA-256 of the inputs (catalogue, generator source,
site settings) and of every file written. It is deleted before the first file is written
and written again last, so a build that did not finish leaves no record and the next one
generates everything; a build whose inputs and files all match the record has nothing to
do and skips rendering.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from . import store
from .errors import AtlasError
from .files import Content, check_regular, read_regular, remove_stale as remove_files, tree_files, write_if_changed
from .model import Catalogue
from .render import bibtex, pages
from .render.chart import chart_svg
from .render.citations import citation_files
from .render.export import papers_json_chunks
from .render.feeds import feed_files
from .render.paper_pages import paper_files, redirect_pages
from .render.retired import PAGE as RETIRED, redirects_json
from .render.related import related
from .render.whatsnew import PAGE as WHATS_NEW
from .render.whatsnew import whats_new_page

#: Generated files (docs-relative); a path ending in "/" means the whole directory.
GENERATED = (
    "index.md", "papers.json", "papers.yaml", "assets/chart.svg", "topics/", "papers/", "bib/",
    "feed.xml", "feeds/", "whats-new.md", RETIRED,
)
#: What the last generation was made from and what it wrote (a dotfile: builders skip it).
RECORD = ".generated.json"
#: The site builders `build` can run, as commands after ``python -m``.
BUILDERS = {
    "mkdocs": ["mkdocs", "build", "--strict"],
    "zensical": ["zensical", "build", "--strict", "--clean"],
}


def is_generated(docs_path: str) -> bool:
    """Whether a docs-relative path belongs to the generator."""
    return any(docs_path.startswith(g) if g.endswith("/") else docs_path == g for g in GENERATED)


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml as plain YAML: ``!ENV`` gives its variable or default, and any
    other tag (``!!python/name:`` in markdown_extensions) is kept as plain text."""


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        values = loader.construct_sequence(node)  # type: ignore[arg-type]
        names, default = values[:-1], values[-1]
    for name in names:
        if os.environ.get(str(name)):
            return os.environ[str(name)]
    return default


_ConfigLoader.add_constructor("!ENV", _env)
_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class Settings:
    """What the generator needs from the site's configuration (mkdocs.yml, which both
    builders read): where docs/ is and the addresses pages link to."""

    catalogue: Path
    docs_dir: Path
    links: pages.SiteLinks = pages.SiteLinks()

    @classmethod
    def read(cls, config_file: Path, catalogue: Path) -> "Settings":
        try:
            with open(config_file, encoding="utf-8") as stream:
                config = yaml.load(stream, Loader=_ConfigLoader) or {}
        except FileNotFoundError:
            raise AtlasError("site configuration not found", str(config_file)) from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise AtlasError(f"cannot read the site configuration: {exc}".splitlines()[0], str(config_file)) from None
        if not isinstance(config, dict):
            raise AtlasError("the site configuration is not a mapping", str(config_file))
        project = config_file.parent
        docs_dir = (project / str(config.get("docs_dir") or "docs")).resolve()
        repo_url = config.get("repo_url") or None
        edit_url = None
        # edit_uri is "edit/<branch>/<docs dir>/"; the catalogue sits beside the docs dir.
        docs_rel = os.path.relpath(docs_dir, project.resolve()).replace(os.sep, "/")
        edit_uri = str(config.get("edit_uri") or "").rstrip("/")
        if repo_url and edit_uri.endswith("/" + docs_rel) and catalogue.parent == project.resolve():
            root = edit_uri[: -len(docs_rel)].strip("/")
            edit_url = f"{str(repo_url).rstrip('/')}/{root}/{catalogue.name}"
        links = pages.SiteLinks(config.get("site_url") or None, repo_url, edit_url)
        return cls(catalogue, docs_dir, links)


@dataclass
class Generation:
    """What one generation did, as docs-relative paths."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    papers: int = 0
    seconds: float = 0.0
    #: Nothing to do: docs/ holds exactly what this papers.yaml and generator produce.
    up_to_date: bool = False

    def summary(self) -> str:
        if self.up_to_date:
            return f"up to date: {self.unchanged} generated files already match papers.yaml ({self.seconds:.1f} s)"
        return (
            f"{self.papers} papers: {len(self.written)} generated files written, "
            f"{self.unchanged} unchanged, {len(self.removed)} stale removed ({self.seconds:.1f} s)"
        )


def generated_files(catalogue: Catalogue, catalogue_bytes: bytes, links: pages.SiteLinks) -> Iterator[tuple[str, Content]]:
    """Every generated file, one at a time: (docs-relative path, content), the content
    being text, bytes or an iterable of pieces (see ``write_if_changed``). Each BibTeX
    entry is made once, for the .bib files, the pages and papers.json."""
    entries = bibtex.entries(catalogue)  # with the catalogue's lexicon
    yield from bibtex.bib_files(catalogue, entries)  # the library keeps retired keys citable
    yield from citation_files(catalogue)  # RIS and CSL-JSON, whole and per topic
    layout = pages.Layout(catalogue, entries, links)
    yield from layout.files()
    yield from paper_files(catalogue, entries, layout.plan.where, related(catalogue), links)
    yield from redirect_pages(catalogue)
    yield RETIRED, redirects_json(catalogue, layout.locations)
    yield "papers.yaml", catalogue_bytes
    yield "papers.json", papers_json_chunks(catalogue, layout.locations, entries, links.site_url)
    yield "assets/chart.svg", chart_svg(catalogue)
    yield from feed_files(catalogue, layout.locations, links.site_url)
    yield WHATS_NEW, whats_new_page(catalogue, layout.locations)


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None


def _generator_digest() -> str:
    """The generator's own source and templates: new code may render the same catalogue anew."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".yaml") and p.is_file()):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _inputs(settings: Settings, catalogue_bytes: bytes) -> dict[str, object]:
    return {
        "catalogue": hashlib.sha256(catalogue_bytes).hexdigest(),
        "generator": _generator_digest(),
        "links": [settings.links.site_url, settings.links.repo_url, settings.links.catalogue_edit_url],
    }


def _recorded_files(docs: Path, inputs: dict[str, object]) -> dict[str, str] | None:
    """The files of the last generation when it was made from ``inputs`` and every file
    still has the content it was written with; else None."""
    try:
        record = json.loads((docs / RECORD).read_text(encoding="utf-8"))
        files = record["files"]
        if record["inputs"] != inputs or not isinstance(files, dict):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for path, digest in files.items():
        if _sha256(docs / path) != digest:
            return None
    return files


def check_docs(docs: Path, root: Path) -> None:
    """Refuse a symbolic link or a special file anywhere in ``docs`` (or docs itself a
    link): the builders would publish what a link points to, and removing stale files
    would follow it out of the repository."""
    check_regular(docs, root, directory=True)
    tree_files(docs, root)


def write_files(docs: Path, files: Iterable[tuple[str, Content]], root: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """Write each generated file into ``docs`` when its bytes changed (never through a
    link: ``root`` is the repository); returns the paths written and every file's SHA-256."""
    root = root or docs.parent
    written, digests = [], {}
    checked: set[Path] = set()
    for path, content in files:
        if not is_generated(path):
            raise AssertionError(f"the generator wrote outside its own paths: {path}")
        target = docs / path
        if target.parent not in checked:
            # Each directory from docs down to the file's, once per build: mkdir would follow a link.
            for parent in reversed([target.parent, *target.parent.parents]):
                if parent in checked or not (parent == docs or docs in parent.parents):
                    continue
                if parent.exists():
                    check_regular(parent, root, directory=True)
                checked.add(parent)
            target.parent.mkdir(parents=True, exist_ok=True)
        # Generated files can be made again: no fsync (see write_if_changed).
        if write_if_changed(target, content, durable=False, root=root):
            written.append(path)
        digests[path] = _sha256(target) or ""
    return sorted(written), digests


def remove_stale(docs: Path, keep: Iterable[str], root: Path | None = None) -> list[str]:
    """Delete the files in the generator's directories that this generation did not make
    (each directory is checked whole first: a link in it stops the build, nothing removed)."""
    root = root or docs.parent
    keep_paths = {docs / path for path in keep}
    removed: list[str] = []
    for owned in (g for g in GENERATED if g.endswith("/")):
        for path in remove_files(docs / owned, keep_paths, root):
            removed.append(path.relative_to(docs).as_posix())
    return sorted(removed)


def generate(settings: Settings) -> Generation:
    """Validate the catalogue and bring the generated files in ``docs/`` up to date."""
    start = time.monotonic()
    docs, root = settings.docs_dir, settings.catalogue.parent
    check_docs(docs, root)
    data = read_regular(settings.catalogue, root, limit=store.read.MAX_BYTES, name="catalogue")
    inputs = _inputs(settings, data)
    recorded = _recorded_files(docs, inputs)
    if recorded is not None:
        # The record is written only after a whole generation from these very bytes (and
        # this generator), which validated them: nothing to check, render or write.
        return Generation(unchanged=len(recorded), up_to_date=True, seconds=time.monotonic() - start)
    catalogue = store.load(settings.catalogue, data)
    (docs / RECORD).unlink(missing_ok=True)  # from here until the record is written, a build is unfinished
    written, digests = write_files(docs, generated_files(catalogue, data, settings.links), root)
    result = Generation(written=written, unchanged=len(digests) - len(written), papers=len(catalogue.papers))
    result.removed = remove_stale(docs, digests, root)
    record = json.dumps({"inputs": inputs, "files": digests}, indent=1, sort_keys=True) + "\n"
    write_if_changed(docs / RECORD, record, root=root)
    result.seconds = time.monotonic() - start
    return result


def run_builder(builder: str, project: Path, config_file: Path) -> Path:
    """Run the site builder on ``config_file`` as a subprocess; returns the site directory.
    Its own messages go to the terminal; a failure is one located line."""
    command = [sys.executable, "-m", *BUILDERS[builder], "--config-file", str(config_file)]
    if importlib.util.find_spec(builder) is None:
        extra = " (pip install -e '.[zensical]')" if builder == "zensical" else ""
        raise AtlasError(f"{builder} is not installed{extra}", str(config_file))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    finished = subprocess.run(command, cwd=project, env=env, check=False)
    if finished.returncode != 0:
        raise AtlasError(f"{builder} build failed (exit {finished.returncode}); its messages are above", str(config_file))
    return project / "site"


def build(catalogue: Path, *, builder: str | None = "mkdocs") -> tuple[Generation, Path | None]:
    """Validate ``catalogue``, generate the pages into the docs directory of the
    ``mkdocs.yml`` beside it and, with a ``builder``, build the site.

    Returns what the generation did and the site directory (None without a builder).
    """
    catalogue = Path(catalogue).resolve()
    config_file = catalogue.parent / "mkdocs.yml"
    settings = Settings.read(config_file, catalogue)
    result = generate(settings)
    if builder is None:
        return result, None
    # What else the builder reads, and the directory it empties: regular files inside the
    # repository (docs/ was checked whole by generate).
    root = catalogue.parent
    if (root / "overrides").exists():
        tree_files(root / "overrides", root)
    if (root / "site").exists() or (root / "site").is_symlink():
        check_regular(root / "site", root, directory=True)
    # The paper pages in docs/ are what the builder copies into site/ unchanged, so Pagefind
    # indexes them while the builder runs (two processes, two cores), into a directory of
    # its own that moves into the site the builder made.
    scratch = Path(tempfile.mkdtemp(prefix="site-search-", dir=root))
    # The last site (a directory and a file or two per paper) is moved aside at once and
    # deleted beside the builder, which would otherwise empty it first, file by file.
    if (root / "site").is_dir() and not (root / "site").is_symlink():
        (root / "site").rename(scratch / "previous")
    clearing = threading.Thread(target=shutil.rmtree, args=(scratch / "previous",), kwargs={"ignore_errors": True})
    clearing.start()
    try:
        indexing = start_indexing(settings.docs_dir, scratch / "pagefind")
        try:
            site_dir = run_builder(builder, root, config_file)
        except BaseException:
            indexing.kill()
            indexing.wait()
            raise
        finish_indexing(indexing, settings.docs_dir)
        shutil.rmtree(site_dir / "pagefind", ignore_errors=True)
        (scratch / "pagefind").rename(site_dir / "pagefind")
    finally:
        clearing.join()
        shutil.rmtree(scratch, ignore_errors=True)
    return result, site_dir


def start_indexing(pages_dir: Path, output: Path) -> subprocess.Popen:
    """Start Pagefind on the paper pages under ``pages_dir`` (``papers/*/index.html``, the
    only pages with ``data-pagefind-body``), writing the search bundle to ``output``: one
    result per paper, its filters and sort keys, whichever builder makes the site."""
    command = [
        sys.executable, "-m", "pagefind", "--site", str(pages_dir), "--output-path", str(output),
        "--silent", "--glob", "papers/*/index.html",
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_indexing(indexing: subprocess.Popen, pages_dir: Path) -> None:
    """Wait for :func:`start_indexing`'s Pagefind; a failure is one located line."""
    output, _ = indexing.communicate()
    if indexing.returncode != 0:
        last = (output or "").strip().splitlines()[-1:] or ["no message"]
        raise AtlasError(f"search indexing failed (Pagefind exit {indexing.returncode}): {last[0][:200]}", str(pages_dir))


def serve(catalogue: Path, *, builder: str = "mkdocs", dev_addr: str = "127.0.0.1:8000", echo=print) -> None:
    """Generate docs/, start the builder's live preview, and generate again whenever the
    catalogue's bytes change; a refused catalogue is reported and the last good pages stay."""
    catalogue = Path(catalogue).resolve()
    config_file = catalogue.parent / "mkdocs.yml"
    settings = Settings.read(config_file, catalogue)
    echo(f"docs: {generate(settings).summary()}")
    command = [sys.executable, "-m", builder, "serve", "--config-file", str(config_file), "--dev-addr", dev_addr]
    server = subprocess.Popen(command, cwd=catalogue.parent, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seen = _sha256(catalogue)
    try:
        while server.poll() is None:
            time.sleep(0.5)
            now = _sha256(catalogue)
            if now != seen:
                seen = now
                try:
                    echo(f"docs: {generate(settings).summary()}")
                except AtlasError as exc:
                    echo(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait()
