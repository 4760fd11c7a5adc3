"""Action Atlas: listings -> papers.yaml -> BibTeX, pages, JSON -> MkDocs site."""
