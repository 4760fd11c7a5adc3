"""MkDocs hook (``hooks:`` in mkdocs.yml): plain ``mkdocs build`` and ``mkdocs serve`` work.

- ``on_config`` lists the topics under "Topics" in the navigation, in the catalogue's order;
- ``on_pre_build`` generates the pages from papers.yaml (the same code as
  ``python -m generator build``; writes nothing when nothing changed);
- ``on_page_context`` points the "edit this page" button of generated pages at papers.yaml;
- ``on_serve`` rebuilds when papers.yaml changes.

Only conveniences live here: the pages themselves are ordinary files in docs/, so a
builder that runs no hooks (Zensical) builds them after ``python -m generator build --no-mkdocs``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

try:
    from generator import site
    from generator.errors import AtlasError
except ImportError:  # a checkout used without `pip install -e .`: the package is beside this file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from generator import site
    from generator.errors import AtlasError

log = logging.getLogger("mkdocs.hooks.action_atlas")


def on_config(config):
    settings = site.SiteSettings.from_mkdocs(config)
    try:
        slugs = site.topic_slugs(settings)
    except AtlasError as exc:
        raise PluginError(str(exc)) from None
    config.nav = site.topics_nav(config.nav, slugs)
    return config


def on_pre_build(config):
    try:
        result = site.generate(site.SiteSettings.from_mkdocs(config))
    except AtlasError as exc:
        raise PluginError(str(exc)) from None
    log.info(f"Action Atlas: {result.summary()}")


def on_page_context(context, page, config, nav):
    # Generated pages have no source in the repository: their source is papers.yaml.
    if page.edit_url and site.is_generated(page.file.src_uri):
        page.edit_url = site.SiteSettings.from_mkdocs(config).links.catalogue_edit_url
    return context


def on_serve(server, config, builder):
    server.watch(str(site.SiteSettings.from_mkdocs(config).catalogue), recursive=False)
    return server
