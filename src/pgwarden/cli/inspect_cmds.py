"""Commands registered on the pgwarden group (filled in by its feature)."""

from __future__ import annotations
