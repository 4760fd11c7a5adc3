"""Render: the validated catalogue -> the generated files (pages, BibTeX, JSON, feeds, chart).

Each module makes one kind of file from a :class:`~generator.model.Catalogue` and writes
nothing; :mod:`generator.site` writes what they make into ``docs/``.
"""
