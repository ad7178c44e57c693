"""A spec in the server's own expression text, rendered by pgwarden's renderer.

:func:`pgwarden.introspect.canonicalize` takes the renderer as an argument, so
introspection depends on the spec alone; this is where the two stages meet.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pgwarden import introspect
from pgwarden.introspect.canonical import Renderer
from pgwarden.render.sql import render_schema
from pgwarden.spec.model import Schema


def canonicalize(
    schema: Schema, conn: psycopg.Connection[Any], *, render: Renderer | None = None
) -> Schema:
    """``schema`` with every expression replaced by Postgres's text for it
    (``render`` defaults to :func:`pgwarden.render.sql.render_schema`)."""
    return introspect.canonicalize(schema, conn, render=render or render_schema)


__all__ = ["canonicalize"]
