from .cli import main

# Guarded: worker processes (see importer.derive_text_values) import this module again.
if __name__ == "__main__":
    main(prog_name="python -m generator")
