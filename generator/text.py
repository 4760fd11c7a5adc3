"""Small text helpers shared by every stage: title normalisation, slugs, fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from slugify import slugify


def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and spacing so that two spellings of a title compare equal."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def paper_id(title: str) -> str:
    """The stable id of a paper: a slug of its first-seen title (at most 80 characters)."""
    return slugify(title, max_length=80, word_boundary=True) or "paper"


def fingerprint(value: object) -> str:
    """An 8-hex-digit hash of a field value, used to tell generated values from curated ones."""
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:8]
