"""``python -m engraft`` runs the command line."""

from engraft.cli import app

app()
