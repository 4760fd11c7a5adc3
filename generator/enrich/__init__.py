"""Fill missing facts of papers from recorded metadata, arXiv and Semantic Scholar."""
