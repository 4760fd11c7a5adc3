"""Listings -> papers: parse the listings, derive topics, tags, TL;DRs, links and keys, merge."""
