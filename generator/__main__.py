from .cli import main

# Guarded: the import's worker processes (generator/ingest/parallel.py) import this module again.
if __name__ == "__main__":
    main(prog_name="python -m generator")
