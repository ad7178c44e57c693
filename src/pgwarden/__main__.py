"""``python -m pgwarden`` runs the CLI."""

from __future__ import annotations

from pgwarden.cli import main

main()
