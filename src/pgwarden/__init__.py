"""pgwarden: govern a PostgreSQL schema from a declarative spec."""

from __future__ import annotations

__version__ = "0.1.0"
