"""``python -m annotate`` runs the command line."""

from .cli import entry

entry()
