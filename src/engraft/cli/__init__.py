"""The ``engraft`` command line (Typer): database, demo cohort, API server, CSV import/export."""

from engraft.cli.main import app

__all__ = ["app"]
