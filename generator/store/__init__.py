"""Read and write papers.yaml."""
